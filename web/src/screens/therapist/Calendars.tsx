/** The calendar connection: an iCal address read for busy times, and the private feed of sessions out. */
import { useState } from "react";
import { answer, api, ProblemError } from "../../api/client";
import { Action, ErrorNotice, When } from "../../components/common";
import { useLoad } from "../../state";

async function importStatus() {
  try {
    return await answer(api.GET("/therapists/me/calendar-import"));
  } catch (failure) {
    if (failure instanceof ProblemError && failure.status === 404) return null;
    throw failure;
  }
}

export function Calendars() {
  const status = useLoad(importStatus, []);
  const [url, setUrl] = useState("");
  const [feed, setFeed] = useState<string | null>(null);
  return (
    <>
      <h1>Calendar connection</h1>
      <section aria-label="Busy times from your calendar">
        <h2>Busy times from your calendar</h2>
        <p>Give your calendar's secret iCal address: its busy times stop clients booking those times.</p>
        <ErrorNotice error={status.error} />
        {status.data ? (
          <dl className="facts">
            <dt>Calendar</dt>
            <dd>{status.data.host}</dd>
            <dt>Status</dt>
            <dd>{status.data.status}</dd>
            <dt>Last read</dt>
            <dd>{status.data.last_synced_at ? <When at={status.data.last_synced_at} /> : "never"}</dd>
            <dt>Busy periods ahead</dt>
            <dd>{status.data.busy_count}</dd>
            {status.data.last_error ? (
              <>
                <dt>Last error</dt>
                <dd>{status.data.last_error}</dd>
              </>
            ) : null}
          </dl>
        ) : status.data === null ? (
          <p>No calendar connected.</p>
        ) : null}
        <form onSubmit={(event) => event.preventDefault()}>
          <label>
            iCal address <input type="url" value={url} size={60} onChange={(event) => setUrl(event.target.value)} />
          </label>{" "}
          <Action
            label="Connect calendar"
            disabled={!url}
            run={async () => {
              await answer(api.PUT("/therapists/me/calendar-import", { body: { url } }));
              setUrl("");
              status.reload();
            }}
          />
        </form>
        {status.data ? (
          <div className="actions">
            <Action
              label="Read it now"
              kind="secondary"
              run={async () => {
                await answer(api.POST("/therapists/me/calendar-import/sync"));
                status.reload();
              }}
            />
            <Action
              label="Disconnect"
              kind="danger"
              run={async () => {
                await answer(api.DELETE("/therapists/me/calendar-import"));
                status.reload();
              }}
            />
          </div>
        ) : null}
      </section>
      <section aria-label="Your sessions in your calendar">
        <h2>Your sessions in your calendar</h2>
        <p>Subscribe to this private address in your calendar app. Anyone holding it sees your sessions' times.</p>
        {feed ? (
          <p>
            <label>
              Your feed address <input readOnly value={feed} size={70} />
            </label>
          </p>
        ) : null}
        <div className="actions">
          <Action
            label="Show my feed address"
            kind="secondary"
            run={async () => setFeed((await answer(api.GET("/therapists/me/calendar-feed"))).url)}
          />
          <Action
            label="Replace the address"
            kind="danger"
            run={async () => setFeed((await answer(api.POST("/therapists/me/calendar-feed/rotate"))).url)}
          />
        </div>
      </section>
    </>
  );
}
