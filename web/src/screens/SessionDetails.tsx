/** One session, for its therapist or its client, with what each may do to it now. */
import { useState } from "react";
import { answer, api, type Session } from "../api/client";
import { Action, Countdown, ErrorNotice, Loading, Price, StatusBadge, When, ZoneNote } from "../components/common";
import { CancelPanel } from "../components/CancelPanel";
import { SlotPicker } from "../components/SlotPicker";
import { freeSlots, ownTherapistProfile, session as loadSession, therapistProfile } from "../data";
import { useApp, useLoad } from "../state";
import { formatInstant } from "../time";

const EXPIRED_ACTIONS: Record<string, string> = {
  offer_expired: "The alternative times expired unanswered.",
  location_change_expired: "The location change expired unanswered.",
};

const ENDED = new Set<Session["status"]>(["cancelled", "declined", "completed"]);

export function SessionDetails({ sessionId }: { sessionId: string }) {
  const { user, now } = useApp();
  const { data: session, error, loading, reload } = useLoad(() => loadSession(sessionId), [sessionId]);
  const [current, setCurrent] = useState<Session | null>(null);
  const shown = current && current.session_id === sessionId && session && current.version >= session.version ? current : session;
  const changed = (next: Session) => {
    setCurrent(next);
    reload();
  };
  if (error && !shown) return <ErrorNotice error={error} />;
  if (loading && !shown) return <Loading what="the session" />;
  if (!shown) return null;
  const past = new Date(shown.start) <= now;
  // The last change of the session, if it was an expiry (an older expiry is history once a new offer is open).
  const last = (shown.history ?? []).at(-1);
  const expired = last && Object.hasOwn(EXPIRED_ACTIONS, last.action) ? last : undefined;
  return (
    <article aria-labelledby="session-heading">
      <h1 id="session-heading">Session on {formatInstant(shown.start)}</h1>
      <ZoneNote />
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="session-status">
          <StatusBadge status={shown.status} />
        </dd>
        <dt>Time</dt>
        <dd>
          <When at={shown.start} /> to <When at={shown.end} />
        </dd>
        <dt>Type</dt>
        <dd>
          {shown.session_type}
          {shown.initial_consultation ? " (free initial consultation)" : ""}
        </dd>
        <dt>Attendees</dt>
        <dd>{shown.attendees.join(", ")}</dd>
        <dt>Location</dt>
        <dd>
          {shown.location.kind === "in_person" ? `In person: ${shown.location.address ?? ""}` : null}
          {shown.location.kind === "online" ? (
            shown.location.link && !ENDED.has(shown.status) ? (
              <a href={shown.location.link}>Join online</a>
            ) : (
              "Online"
            )
          ) : null}
          {shown.location.kind === "phone" ? "By phone" : null}
        </dd>
        <dt>Fee</dt>
        <dd>
          <Price money={shown.price} />
        </dd>
        {shown.status === "pending" && shown.response_due_at ? (
          <>
            <dt>Therapist's answer due</dt>
            <dd>
              <When at={shown.response_due_at} />
            </dd>
          </>
        ) : null}
        {shown.status === "cancelled" ? (
          <>
            <dt>Cancelled by</dt>
            <dd>{shown.cancelled_by}</dd>
            <dt>Refund to the client</dt>
            <dd data-testid="refund">{shown.refund ? <Price money={shown.refund} /> : "none"}</dd>
            {user?.role === "therapist" && shown.therapist_payout ? (
              <>
                <dt>Paid to you</dt>
                <dd>
                  <Price money={shown.therapist_payout} />
                </dd>
              </>
            ) : null}
          </>
        ) : null}
        {shown.status === "declined" && shown.decline_reason ? (
          <>
            <dt>Reason</dt>
            <dd>{shown.decline_reason}</dd>
          </>
        ) : null}
      </dl>
      {expired ? (
        <p className="notice" data-testid="expired-notice">
          {EXPIRED_ACTIONS[expired.action]} ({formatInstant(expired.at)})
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {user?.role === "therapist" ? <TherapistActions session={shown} past={past} onChange={changed} /> : null}
      {user?.role === "client" ? <ClientActions session={shown} past={past} onChange={changed} /> : null}
      <History session={shown} />
    </article>
  );
}

function History({ session }: { session: Session }) {
  const entries = session.history ?? [];
  if (entries.length === 0) return null;
  return (
    <section aria-label="History">
      <h2>History</h2>
      <ol>
        {entries.map((entry) => (
          <li key={`${entry.at}-${entry.action}`}>
            <When at={entry.at} />: {entry.action.replaceAll("_", " ")} by {entry.actor_role}
            {entry.reason ? ` (${entry.reason.replaceAll("_", " ")})` : ""}
          </li>
        ))}
      </ol>
    </section>
  );
}

type Change = (session: Session) => void;
const path = (session: Session) => ({ params: { path: { session_id: session.session_id } } });

function TherapistActions({ session, past, onChange }: { session: Session; past: boolean; onChange: Change }) {
  const [panel, setPanel] = useState<"none" | "decline" | "reschedule" | "location" | "offer" | "cancel">("none");
  const open = (next: typeof panel) => setPanel(panel === next ? "none" : next);
  const live = !past && (session.status === "pending" || session.status === "confirmed");
  if (session.status === "alternatives_offered" && session.offer) {
    return (
      <section aria-label="Offered alternatives">
        <h2>Alternative times offered</h2>
        <Countdown until={session.offer.expires_at} label="The client can answer until" />
        <p>These times are held for the client:</p>
        <ul data-testid="held-alternatives">
          {session.offer.alternatives.map((alternative) => (
            <li key={alternative.alternative_id}>
              <When at={alternative.start} />
            </li>
          ))}
        </ul>
      </section>
    );
  }
  if (session.status === "awaiting_client" && session.pending_location && session.change_expires_at) {
    return (
      <section aria-label="Location change">
        <h2>Location change asked</h2>
        <p>You asked to move this session to another location; the client has to agree.</p>
        <Countdown until={session.change_expires_at} label="The client can answer until" />
      </section>
    );
  }
  if (!live) return null;
  return (
    <section aria-label="Actions">
      <h2>What you can do</h2>
      <div className="actions">
        {session.status === "pending" ? (
          <Action
            label="Confirm session"
            run={async () => onChange(await answer(api.POST("/sessions/{session_id}/confirm", path(session))))}
          />
        ) : null}
        {session.status === "pending" ? (
          <button type="button" className="secondary" aria-expanded={panel === "decline"} onClick={() => open("decline")}>
            Decline
          </button>
        ) : null}
        {session.status === "confirmed" ? (
          <button
            type="button"
            className="secondary"
            aria-expanded={panel === "reschedule"}
            onClick={() => open("reschedule")}
          >
            Edit date/time
          </button>
        ) : null}
        {session.status === "confirmed" ? (
          <button type="button" className="secondary" aria-expanded={panel === "location"} onClick={() => open("location")}>
            Edit location
          </button>
        ) : null}
        <button type="button" className="secondary" aria-expanded={panel === "offer"} onClick={() => open("offer")}>
          Offer alternatives
        </button>
        {session.status === "confirmed" ? (
          <button type="button" className="danger" aria-expanded={panel === "cancel"} onClick={() => open("cancel")}>
            Cancel session
          </button>
        ) : null}
      </div>
      {panel === "decline" ? <DeclinePanel session={session} onChange={onChange} /> : null}
      {panel === "reschedule" ? (
        <ReschedulePanel session={session} onChange={onChange} offerInstead={() => setPanel("offer")} />
      ) : null}
      {panel === "location" ? <LocationPanel session={session} onChange={onChange} /> : null}
      {panel === "offer" ? <OfferPanel session={session} onChange={onChange} /> : null}
      {panel === "cancel" ? <CancelPanel session={session} onChange={onChange} /> : null}
    </section>
  );
}

function DeclinePanel({ session, onChange }: { session: Session; onChange: Change }) {
  const [reason, setReason] = useState("");
  return (
    <form className="panel" onSubmit={(event) => event.preventDefault()}>
      <label>
        Reason (optional, the client sees it)
        <input value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
      </label>
      <Action
        label="Decline session"
        kind="danger"
        run={async () =>
          onChange(
            await answer(
              api.POST("/sessions/{session_id}/decline", { ...path(session), body: reason ? { reason } : {} }),
            ),
          )
        }
      />
    </form>
  );
}

const RESCHEDULE_REASONS = [
  { value: "client_requested", label: "The client asked for another time" },
  { value: "error_correction", label: "The booked time is a mistake I am correcting" },
  { value: "therapist_unavailable", label: "I can no longer make this time" },
] as const;

function ReschedulePanel({ session, onChange, offerInstead }: { session: Session; onChange: Change; offerInstead: () => void }) {
  const { now } = useApp();
  const [reason, setReason] = useState<(typeof RESCHEDULE_REASONS)[number]["value"] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const slots = useLoad(
    () => (reason && reason !== "therapist_unavailable" ? freeSlots(session.therapist_id, session.session_type, now) : Promise.resolve([])),
    [reason, session.session_id],
  );
  return (
    <div className="panel">
      <fieldset>
        <legend>Why are you changing the time?</legend>
        {RESCHEDULE_REASONS.map((option) => (
          <label key={option.value} className="choice">
            <input type="radio" name="reschedule-reason" checked={reason === option.value} onChange={() => setReason(option.value)} />
            {option.label}
          </label>
        ))}
      </fieldset>
      {reason === "therapist_unavailable" ? (
        <div>
          <p>When you can't make a time, offer the client alternatives: they choose one within 24 hours.</p>
          <button type="button" onClick={offerInstead}>
            Offer alternatives instead
          </button>
        </div>
      ) : null}
      {reason && reason !== "therapist_unavailable" ? (
        <>
          <ErrorNotice error={slots.error} />
          {slots.loading ? <Loading what="free times" /> : null}
          {slots.data ? <SlotPicker slots={slots.data} chosen={chosen} onChange={setChosen} legend="New time" /> : null}
          <Action
            label="Move the session"
            disabled={chosen.length !== 1}
            run={async () =>
              onChange(
                await answer(
                  api.POST("/sessions/{session_id}/reschedule", { ...path(session), body: { start: chosen[0] ?? "", reason } }),
                ),
              )
            }
          />
        </>
      ) : null}
    </div>
  );
}

const LOCATION_REASONS = [
  { value: "client_requested", label: "The client asked for another place" },
  { value: "error_correction", label: "The booked location is a mistake I am correcting" },
  { value: "therapist_unavailable", label: "I can no longer offer this location (the client has 24 hours to agree)" },
] as const;

function LocationPanel({ session, onChange }: { session: Session; onChange: Change }) {
  const profile = useLoad(() => ownTherapistProfile(), []);
  const [location, setLocation] = useState("");
  const [reason, setReason] = useState<(typeof LOCATION_REASONS)[number]["value"]>("client_requested");
  const others = (profile.data?.locations ?? []).filter((candidate) => candidate.id !== session.location.id);
  return (
    <form className="panel" onSubmit={(event) => event.preventDefault()}>
      <ErrorNotice error={profile.error} />
      <label>
        New location
        <select value={location} onChange={(event) => setLocation(event.target.value)}>
          <option value="">Choose a location</option>
          {others.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.kind === "in_person" ? `In person: ${candidate.address ?? ""}` : candidate.kind === "online" ? "Online" : "Phone"}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Why?</legend>
        {LOCATION_REASONS.map((option) => (
          <label key={option.value} className="choice">
            <input type="radio" name="location-reason" checked={reason === option.value} onChange={() => setReason(option.value)} />
            {option.label}
          </label>
        ))}
      </fieldset>
      <Action
        label="Change the location"
        disabled={!location}
        run={async () =>
          onChange(
            await answer(api.POST("/sessions/{session_id}/location-change", { ...path(session), body: { location_id: location, reason } })),
          )
        }
      />
    </form>
  );
}

function OfferPanel({ session, onChange }: { session: Session; onChange: Change }) {
  const { now } = useApp();
  const [chosen, setChosen] = useState<string[]>([]);
  const slots = useLoad(() => freeSlots(session.therapist_id, session.session_type, now), [session.session_id]);
  const choices = (slots.data ?? []).filter((slot) => slot.start !== session.start);
  return (
    <div className="panel">
      <p>Choose 1 to 5 times. They are held for the client for 24 hours; the client accepts one or rejects them all.</p>
      <ErrorNotice error={slots.error} />
      {slots.loading ? <Loading what="free times" /> : null}
      {slots.data ? <SlotPicker slots={choices} chosen={chosen} onChange={setChosen} max={5} legend="Alternative times" /> : null}
      <Action
        label={chosen.length === 0 ? "Offer the chosen times" : `Offer ${chosen.length} alternative${chosen.length === 1 ? "" : "s"}`}
        disabled={chosen.length === 0}
        run={async () =>
          onChange(
            await answer(
              api.POST("/sessions/{session_id}/offers", {
                ...path(session),
                body: { alternatives: chosen.map((start) => ({ start })) },
              }),
            ),
          )
        }
      />
    </div>
  );
}

function ClientActions({ session, past, onChange }: { session: Session; past: boolean; onChange: Change }) {
  const { now } = useApp();
  const [choice, setChoice] = useState("");
  const [cancelling, setCancelling] = useState(false);
  const therapist = useLoad(() => therapistProfile(session.therapist_id), [session.therapist_id]);
  if (session.status === "alternatives_offered" && session.offer) {
    const expired = new Date(session.offer.expires_at) <= now;
    return (
      <section aria-label="Alternative times">
        <h2>Your therapist offered other times</h2>
        <Countdown until={session.offer.expires_at} label="Answer by" />
        {expired ? (
          <p className="notice" data-testid="expired-notice">
            This offer has expired: it can no longer be accepted.
          </p>
        ) : (
          <form className="panel" onSubmit={(event) => event.preventDefault()}>
            <fieldset>
              <legend>Choose one time</legend>
              {session.offer.alternatives.map((alternative) => (
                <label key={alternative.alternative_id} className="choice">
                  <input
                    type="radio"
                    name="alternative"
                    value={alternative.alternative_id}
                    checked={choice === alternative.alternative_id}
                    onChange={() => setChoice(alternative.alternative_id)}
                  />
                  {formatInstant(alternative.start)}
                </label>
              ))}
            </fieldset>
            <Action
              label="Accept this time"
              disabled={!choice}
              run={async () =>
                onChange(
                  await answer(api.POST("/sessions/{session_id}/offers/accept", { ...path(session), body: { alternative_id: choice } })),
                )
              }
            />
            <Action
              label="None of these: cancel with a full refund"
              kind="danger"
              run={async () => onChange(await answer(api.POST("/sessions/{session_id}/offers/reject", path(session))))}
            />
          </form>
        )}
      </section>
    );
  }
  if (session.status === "awaiting_client" && session.pending_location && session.change_expires_at) {
    const expired = new Date(session.change_expires_at) <= now;
    const where = session.pending_location;
    return (
      <section aria-label="Location change">
        <h2>Your therapist asks to change the location</h2>
        <p>
          New location:{" "}
          {where.kind === "in_person" ? `in person, ${where.address ?? ""}` : where.kind === "online" ? "online" : "by phone"}
        </p>
        <Countdown until={session.change_expires_at} label="Answer by" />
        {expired ? (
          <p className="notice" data-testid="expired-notice">
            This request has expired.
          </p>
        ) : (
          <div className="actions">
            <Action
              label="Agree to the new location"
              run={async () => onChange(await answer(api.POST("/sessions/{session_id}/location-change/accept", path(session))))}
            />
            <Action
              label="Refuse: cancel with a full refund"
              kind="danger"
              run={async () => onChange(await answer(api.POST("/sessions/{session_id}/location-change/reject", path(session))))}
            />
          </div>
        )}
      </section>
    );
  }
  if (past || (session.status !== "pending" && session.status !== "confirmed")) return null;
  return (
    <section aria-label="Actions">
      <h2>What you can do</h2>
      {therapist.data ? <p>Your therapist: {therapist.data.name}</p> : null}
      <button type="button" className="danger" aria-expanded={cancelling} onClick={() => setCancelling(!cancelling)}>
        Cancel session
      </button>
      {cancelling ? <CancelPanel session={session} onChange={onChange} /> : null}
    </section>
  );
}
