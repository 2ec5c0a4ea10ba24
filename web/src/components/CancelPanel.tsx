/** Cancelling a session: what the policy gives (asked of the API, where the rule lives) shown before confirming. */
import { useState } from "react";
import { answer, api, type Session } from "../api/client";
import { useApp, useLoad } from "../state";
import { Action, ErrorNotice, Loading, Price, When } from "./common";

export function CancelPanel({ session, onChange }: { session: Session; onChange: (session: Session) => void }) {
  const client = useApp().user?.role === "client";
  const [reason, setReason] = useState("");
  const terms = useLoad(
    () =>
      answer(api.GET("/sessions/{session_id}/cancellation-terms", { params: { path: { session_id: session.session_id } } })),
    [session.session_id, session.version],
  );
  return (
    <form className="panel" onSubmit={(event) => event.preventDefault()} aria-label="Cancel the session">
      <ErrorNotice error={terms.error} />
      {terms.loading ? <Loading what="the cancellation terms" /> : null}
      {terms.data ? (
        <div data-testid="cancellation-terms">
          {terms.data.refund.amount > 0 ? (
            <p>
              {client ? "You are refunded " : "The client is refunded "}
              <strong>
                <Price money={terms.data.refund} />
              </strong>
              {terms.data.refund.amount === session.price.amount ? " (the full fee)" : ""}.
            </p>
          ) : (
            <p>
              <strong>No refund</strong>: the fee of <Price money={session.price} /> is kept, because the session is
              confirmed and the time for a free cancellation has passed
              {terms.data.full_refund_until ? (
                <>
                  {" "}
                  (it ended <When at={terms.data.full_refund_until} />)
                </>
              ) : null}
              .
            </p>
          )}
          {!client ? (
            <p>
              Cancelling counts towards your cancellation streak: cancellations in a row lower your ranking.
            </p>
          ) : null}
        </div>
      ) : null}
      <label>
        Reason (optional)
        <input value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
      </label>
      <Action
        label="Confirm cancellation"
        kind="danger"
        disabled={!terms.data}
        run={async () =>
          onChange(
            await answer(
              api.POST("/sessions/{session_id}/cancel", {
                params: { path: { session_id: session.session_id } },
                body: reason ? { reason } : {},
              }),
            ),
          )
        }
      />
    </form>
  );
}
