/** The admin's desk: open any session (the read is audited), a therapist's standing and reactivation, the audit trail. */
import { useState } from "react";
import { answer, api, type Schemas } from "../../api/client";
import { Action, When } from "../../components/common";
import { useApp } from "../../state";
import { StandingView } from "../therapist/Standing";

export function Admin() {
  const { navigate } = useApp();
  const [sessionId, setSessionId] = useState("");
  const [therapistId, setTherapistId] = useState("");
  const [shownTherapist, setShownTherapist] = useState("");
  const [note, setNote] = useState("");
  const [audit, setAudit] = useState<Schemas["AuditEntryResponse"][] | null>(null);
  const [reactivations, setReactivations] = useState(0);
  return (
    <>
      <h1>Administration</h1>
      <section aria-label="Open a session">
        <h2>Open a session</h2>
        <p>Your reading of a session is written to the audit trail.</p>
        <form onSubmit={(event) => { event.preventDefault(); if (sessionId) navigate(`/sessions/${encodeURIComponent(sessionId)}`); }}>
          <label>
            Session id <input value={sessionId} onChange={(event) => setSessionId(event.target.value.trim())} />
          </label>{" "}
          <button type="submit" disabled={!sessionId}>Open session</button>{" "}
          <Action
            label="Show who read it"
            kind="secondary"
            disabled={!sessionId}
            run={async () => setAudit((await answer(api.GET("/admin/audit", { params: { query: { session_id: sessionId } } }))).items)}
          />
        </form>
        {audit ? (
          <ul aria-label="Audit entries">
            {audit.length === 0 ? <li>No admin has read it.</li> : null}
            {audit.map((entry) => (
              <li key={`${entry.at}-${entry.admin_id}`}>
                <When at={entry.at} />: {entry.admin_id} {entry.action}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section aria-label="A therapist">
        <h2>A therapist</h2>
        <form onSubmit={(event) => { event.preventDefault(); setShownTherapist(therapistId); }}>
          <label>
            Therapist id <input value={therapistId} onChange={(event) => setTherapistId(event.target.value.trim())} />
          </label>{" "}
          <button type="submit" disabled={!therapistId}>Show standing</button>
        </form>
        {shownTherapist ? (
          <>
            <StandingView key={`${shownTherapist}-${reactivations}`} therapistId={shownTherapist} />
            <form onSubmit={(event) => event.preventDefault()}>
              <label>
                Reactivation note <input value={note} maxLength={500} onChange={(event) => setNote(event.target.value)} />
              </label>{" "}
              <Action
                label="Reactivate"
                disabled={!note}
                run={async () => {
                  await answer(
                    api.POST("/admin/therapists/{therapist_id}/reactivate", { params: { path: { therapist_id: shownTherapist } }, body: { note } }),
                  );
                  setNote("");
                  setReactivations(reactivations + 1);
                }}
              />
            </form>
          </>
        ) : null}
      </section>
    </>
  );
}
