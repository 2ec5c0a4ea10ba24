/** Lists of the caller's own sessions: the therapist's new enquiries, and upcoming and past sessions for both. */
import type { Session } from "../api/client";
import { Countdown, ErrorNotice, Loading, Price, StatusBadge, When, ZoneNote } from "../components/common";
import { ownSessions } from "../data";
import { useApp, useLoad } from "../state";
import { formatInstant, isoAt } from "../time";

function SessionTable({ sessions, deadline }: { sessions: Session[]; deadline?: boolean }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Type</th>
          <th scope="col">Attendees</th>
          <th scope="col">Fee</th>
          <th scope="col">Status</th>
          {deadline ? <th scope="col">Answer due</th> : null}
          <th scope="col">
            <span className="visually-hidden">Open</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((session) => (
          <tr key={session.session_id} data-testid="session-row">
            <td>
              <When at={session.start} />
            </td>
            <td>
              {session.session_type}
              {session.initial_consultation ? " (free consultation)" : ""}
            </td>
            <td>{session.attendees.join(", ")}</td>
            <td>
              <Price money={session.price} />
            </td>
            <td>
              <StatusBadge status={session.status} />
            </td>
            {deadline ? (
              <td>{session.response_due_at ? <Countdown until={session.response_due_at} label="Due" /> : "—"}</td>
            ) : null}
            <td>
              <a href={`#/sessions/${encodeURIComponent(session.session_id)}`}>
                Open session <span className="visually-hidden">on {formatInstant(session.start)}</span>
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function NewEnquiries() {
  const { data, error, loading } = useLoad(() => ownSessions({ status: "pending" }), []);
  return (
    <>
      <h1>New enquiries</h1>
      <ZoneNote />
      <p>Bookings waiting for your answer. Answer within the response time the platform expects.</p>
      <ErrorNotice error={error} />
      {loading && !data ? <Loading what="enquiries" /> : null}
      {data && data.length === 0 ? <p>No new enquiries.</p> : null}
      {data && data.length > 0 ? <SessionTable sessions={data} deadline /> : null}
    </>
  );
}

export function OwnSessions({ title }: { title: string }) {
  const { now } = useApp();
  const minute = Math.floor(now.getTime() / 60000);
  const at = isoAt(new Date(minute * 60000));
  const upcoming = useLoad(() => ownSessions({ from: at }), [minute]);
  const past = useLoad(() => ownSessions({ to: at }), [minute]);
  return (
    <>
      <h1>{title}</h1>
      <ZoneNote />
      <section aria-label="Upcoming sessions">
        <h2>Upcoming sessions</h2>
        <ErrorNotice error={upcoming.error} />
        {upcoming.loading && !upcoming.data ? <Loading what="upcoming sessions" /> : null}
        {upcoming.data && upcoming.data.length === 0 ? <p>No upcoming sessions.</p> : null}
        {upcoming.data && upcoming.data.length > 0 ? <SessionTable sessions={upcoming.data} /> : null}
      </section>
      <section aria-label="Past sessions">
        <h2>Past sessions</h2>
        <ErrorNotice error={past.error} />
        {past.data && past.data.length === 0 ? <p>No past sessions.</p> : null}
        {past.data && past.data.length > 0 ? <SessionTable sessions={[...past.data].reverse()} /> : null}
      </section>
    </>
  );
}
