/** Cancelling a session: what the policy gives (asked of the API, where the rule lives) shown before confirming,
 * asked again at the moment of confirming, so the refund a person agreed to is the refund they get. */
import { useState } from "react";
import { answer, api, type Money, type Session } from "../api/client";
import { useApp, useLoad } from "../state";
import { Action, Countdown, ErrorNotice, Loading, Price, When } from "./common";

function termsOf(session: Session) {
  return answer(
    api.GET("/sessions/{session_id}/cancellation-terms", { params: { path: { session_id: session.session_id } } }),
  );
}

type Terms = Awaited<ReturnType<typeof termsOf>>;

const same = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;

function TermsText({ terms, session, client }: { terms: Terms; session: Session; client: boolean }) {
  const whose = client ? "You are" : "The client is";
  if (session.price.amount === 0) return <p>This session is free: there is nothing to refund.</p>;
  if (same(terms.refund, session.price)) {
    return (
      <>
        <p>
          {whose} refunded{" "}
          <strong>
            <Price money={terms.refund} />
          </strong>{" "}
          (the full fee).
        </p>
        {terms.full_refund_until ? <Countdown until={terms.full_refund_until} label="A full refund until" /> : null}
      </>
    );
  }
  return (
    <p>
      {terms.refund.amount === 0 ? (
        <strong>No refund</strong>
      ) : (
        <>
          {whose} refunded{" "}
          <strong>
            <Price money={terms.refund} />
          </strong>{" "}
          of <Price money={session.price} />
        </>
      )}
      {terms.full_refund_until ? (
        <>
          : a full refund was possible until <When at={terms.full_refund_until} />
        </>
      ) : null}
    </p>
  );
}

/** What the therapist's cancellation does to their cancellation streak, as the API says it would. */
function StreakText({ streak }: { streak: NonNullable<Terms["streak"]> }) {
  const consequence = streak.deactivates
    ? "your account would be deactivated: hidden from clients and refusing bookings until the team reactivates it"
    : streak.flags
      ? "you would be flagged and ranked lower in the listing"
      : "a session that goes ahead resets it";
  return (
    <p className={streak.flags ? "notice" : undefined} data-testid="streak-outlook">
      This would be your cancellation number {streak.streak_after} in a row: {consequence}.
    </p>
  );
}

export function CancelPanel({ session, onChange }: { session: Session; onChange: (session: Session) => void }) {
  const { user, now } = useApp();
  const client = user?.role === "client";
  const [reason, setReason] = useState("");
  const [changed, setChanged] = useState(false);
  const [deadlinePassed, setDeadlinePassed] = useState(false);
  const terms = useLoad(() => termsOf(session), [session.session_id, session.version, deadlinePassed]);
  const deadline = terms.data?.full_refund_until;
  if (deadline && !deadlinePassed && new Date(deadline) <= now) setDeadlinePassed(true); // the terms change: ask again
  return (
    <form className="panel" onSubmit={(event) => event.preventDefault()} aria-label="Cancel the session">
      <ErrorNotice error={terms.error} />
      {terms.loading && !terms.data ? <Loading what="the cancellation terms" /> : null}
      {terms.data ? (
        <div data-testid="cancellation-terms" aria-live="polite">
          {changed ? <p className="notice">The terms changed since you opened this: check them again.</p> : null}
          <TermsText terms={terms.data} session={session} client={client} />
          {terms.data.streak ? <StreakText streak={terms.data.streak} /> : null}
        </div>
      ) : null}
      <label>
        Reason (optional)
        <input value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
      </label>
      <Action
        label="Confirm cancellation"
        kind="danger"
        disabled={!terms.data || terms.loading}
        run={async () => {
          const shown = terms.data;
          const current = await termsOf(session);
          if (!shown || !same(current.refund, shown.refund)) {
            setChanged(true);
            terms.reload();
            return;
          }
          onChange(
            await answer(
              api.POST("/sessions/{session_id}/cancel", {
                params: { path: { session_id: session.session_id } },
                body: reason ? { reason } : {},
              }),
            ),
          );
        }}
      />
    </form>
  );
}
