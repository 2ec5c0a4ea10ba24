/** The therapist's calendar for the next two weeks: sessions, times held for clients by open offers, and blocks. */
import { answer, api } from "../../api/client";
import { ErrorNotice, Loading, StatusBadge, When, ZoneNote } from "../../components/common";
import { ownSessions } from "../../data";
import { useApp, useLoad } from "../../state";
import { byDay, formatInstant, formatTime, isoAt } from "../../time";

interface Entry {
  start: string;
  end: string;
  kind: "session" | "held" | "block";
  label: string;
  sessionId?: string;
  status?: Parameters<typeof StatusBadge>[0]["status"];
}

const LIVE = new Set(["pending", "confirmed", "alternatives_offered", "awaiting_client"]);

export function Agenda() {
  const { now } = useApp();
  const day = Math.floor(now.getTime() / 3600000);
  const entries = useLoad(async () => {
    const from = new Date(day * 3600000);
    const to = new Date(from.getTime() + 14 * 24 * 3600000);
    const [sessions, blocks] = await Promise.all([
      ownSessions({ from: isoAt(new Date(from.getTime() - 24 * 3600000)), to: isoAt(to) }),
      answer(api.GET("/therapists/me/blocks")),
    ]);
    const found: Entry[] = [];
    for (const session of sessions) {
      if (!LIVE.has(session.status)) continue;
      if (new Date(session.end) > from) {
        found.push({
          start: session.start,
          end: session.end,
          kind: "session",
          label: `${session.session_type} with ${session.attendees.join(", ")}`,
          sessionId: session.session_id,
          status: session.status,
        });
      }
      for (const alternative of session.offer?.alternatives ?? []) {
        found.push({
          start: alternative.start,
          end: alternative.end,
          kind: "held",
          label: `Held for ${session.attendees.join(", ")} until the offer is answered`,
          sessionId: session.session_id,
        });
      }
    }
    for (const block of blocks.items) {
      found.push({ start: block.start, end: block.end, kind: "block", label: block.note ? `Blocked: ${block.note}` : "Blocked" });
    }
    return { loadedAt: isoAt(now), entries: found.sort((a, b) => a.start.localeCompare(b.start)) };
  }, [day]);
  return (
    <>
      <h1>Calendar</h1>
      <ZoneNote />
      <p>The next two weeks: your sessions, the times held for clients by open offers, and your blocks.</p>
      <ErrorNotice error={entries.error} />
      {entries.loading && !entries.data ? <Loading what="your calendar" /> : null}
      {entries.data && entries.data.entries.length === 0 ? <p>Nothing in the next two weeks.</p> : null}
      {(entries.data ? byDay(entries.data.entries, (entry) => entry.start) : []).map(([label, items]) => (
        <section key={label} aria-label={label}>
          <h2>{label}</h2>
          <ul className="agenda">
            {items.map((entry) => (
              <li key={`${entry.kind}-${entry.start}-${entry.sessionId ?? ""}`} className={`entry entry-${entry.kind}`} data-testid={`agenda-${entry.kind}`}>
                <time dateTime={entry.start}>{formatTime(entry.start)}</time> to <time dateTime={entry.end}>{formatTime(entry.end)}</time>:{" "}
                {entry.label} {entry.status ? <StatusBadge status={entry.status} /> : null}{" "}
                {entry.sessionId ? (
                  <a href={`#/sessions/${encodeURIComponent(entry.sessionId)}`}>
                    Open session <span className="visually-hidden">at {formatInstant(entry.start)}</span>
                  </a>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {entries.data ? (
        <p className="zone-note">
          Last loaded at <When at={entries.data.loadedAt} />.
        </p>
      ) : null}
    </>
  );
}
