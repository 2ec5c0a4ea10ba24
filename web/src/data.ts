/** The reads screens share, over the generated client. */
import { answer, api, type Schemas, type Session, type SessionStatus, type SessionType } from "./api/client";
import { isoAt } from "./time";

const MAX_PAGES = 10;

/** The caller's own sessions (GET /sessions), every page. */
export async function ownSessions(query: { status?: SessionStatus; from?: string; to?: string }): Promise<Session[]> {
  const sessions: Session[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const body = await answer(api.GET("/sessions", { params: { query: { ...query, limit: 100, cursor } } }));
    sessions.push(...body.items);
    if (!body.next_cursor) break;
    cursor = body.next_cursor;
  }
  return sessions.sort((a, b) => a.start.localeCompare(b.start));
}

export async function session(sessionId: string): Promise<Session> {
  return answer(api.GET("/sessions/{session_id}", { params: { path: { session_id: sessionId } } }));
}

/** Free bookable starts of a therapist over the next `days` days. */
export async function freeSlots(
  therapistId: string,
  sessionType: SessionType,
  now: Date,
  days = 14,
): Promise<Schemas["Slot"][]> {
  const to = new Date(now.getTime() + days * 24 * 3600 * 1000);
  const body = await answer(
    api.GET("/therapists/{therapist_id}/slots", {
      params: {
        path: { therapist_id: therapistId },
        query: { session_type: sessionType, from: isoAt(now), to: isoAt(to) },
      },
    }),
  );
  return body.items;
}

export async function therapistProfile(therapistId: string): Promise<Schemas["TherapistPublicProfile"]> {
  return answer(api.GET("/therapists/{therapist_id}", { params: { path: { therapist_id: therapistId } } }));
}

export async function ownTherapistProfile(): Promise<Schemas["TherapistOwnProfile"]> {
  return answer(api.GET("/therapists/me"));
}
