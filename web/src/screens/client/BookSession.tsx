/** A therapist's profile and free times in the client's zone; booking one (a free first consultation where offered). */
import { useEffect, useState } from "react";
import { answer, api, type SessionType } from "../../api/client";
import { Action, ErrorNotice, Loading, Price, ZoneNote } from "../../components/common";
import { SlotPicker } from "../../components/SlotPicker";
import { freeSlots, therapistProfile } from "../../data";
import { useApp, useLoad } from "../../state";

/** A fresh idempotency key (crypto.randomUUID needs a secure context: http on a LAN address is not one). */
function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function BookSession({ therapistId }: { therapistId: string }) {
  const { now, navigate } = useApp();
  const profile = useLoad(() => therapistProfile(therapistId), [therapistId]);
  const me = useLoad(() => answer(api.GET("/clients/me")), []);
  const [sessionType, setSessionType] = useState<SessionType | "">("");
  const [location, setLocation] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [consultation, setConsultation] = useState(false);
  const [note, setNote] = useState("");
  // One key per choice: a retried or double-submitted booking of the same choice creates one session.
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  useEffect(() => setIdempotencyKey(newKey()), [chosen, sessionType, location, consultation, note]);
  useEffect(() => {
    const first = profile.data;
    if (!first) return;
    setSessionType((current) => current || first.session_types[0]?.type || "");
    setLocation((current) => current || first.locations[0]?.id || "");
  }, [profile.data]);
  const slots = useLoad(
    () => (sessionType ? freeSlots(therapistId, sessionType, now) : Promise.resolve([])),
    [therapistId, sessionType],
  );
  const therapist = profile.data;
  if (profile.error) return <ErrorNotice error={profile.error} />;
  if (!therapist) return <Loading what="the therapist" />;
  const type = therapist.session_types.find((candidate) => candidate.type === sessionType);
  return (
    <>
      <h1>Book with {therapist.name}</h1>
      <ZoneNote />
      <form onSubmit={(event) => event.preventDefault()}>
        <p>
          <label>
            Session type{" "}
            <select value={sessionType} onChange={(event) => { setSessionType(event.target.value as SessionType); setChosen([]); }}>
              {therapist.session_types.map((candidate) => (
                <option key={candidate.type} value={candidate.type}>
                  {candidate.type} ({candidate.duration_minutes} min)
                </option>
              ))}
            </select>
          </label>{" "}
          {type ? (
            <span>
              Fee: {consultation ? "none (a free first consultation)" : <Price money={type.price} />}
            </span>
          ) : null}
        </p>
        <p>
          <label>
            Where{" "}
            <select value={location} onChange={(event) => setLocation(event.target.value)}>
              {therapist.locations.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.label}
                </option>
              ))}
            </select>
          </label>
        </p>
        {therapist.free_initial_consultation ? (
          <p>
            <label className="choice">
              <input type="checkbox" checked={consultation} onChange={(event) => setConsultation(event.target.checked)} />
              This is my free first consultation (one per therapist)
            </label>
          </p>
        ) : null}
        <ErrorNotice error={slots.error} />
        {slots.loading ? <Loading what="free times" /> : null}
        {slots.data && !slots.loading ? <SlotPicker slots={slots.data} chosen={chosen} onChange={setChosen} legend="Free times" /> : null}
        <p>
          <label>
            A note for the therapist (optional){" "}
            <input value={note} maxLength={1000} onChange={(event) => setNote(event.target.value)} />
          </label>
        </p>
        <ErrorNotice error={me.error} />
        <Action
          label="Book this time"
          disabled={chosen.length !== 1 || !sessionType || !location || !me.data}
          run={async () => {
            const booked = await answer(
              api.POST("/sessions", {
                body: {
                  therapist_id: therapistId,
                  start: chosen[0] ?? "",
                  session_type: sessionType || "individual",
                  location_id: location,
                  attendees: [me.data?.name ?? "Client"],
                  initial_consultation: consultation,
                  ...(note ? { note } : {}),
                },
                headers: { "Idempotency-Key": idempotencyKey },
              }),
            );
            navigate(`/sessions/${encodeURIComponent(booked.session_id)}`);
          }}
        />
      </form>
    </>
  );
}
