/** The ranked listing of therapists (GET /therapists), page by page. */
import { useState } from "react";
import { answer, api, type Schemas } from "../../api/client";
import { Action, ErrorNotice, Loading, Price } from "../../components/common";
import { useLoad } from "../../state";

type Therapist = Schemas["TherapistPublicProfile"];

export function FindTherapist() {
  const first = useLoad(() => answer(api.GET("/therapists", { params: { query: { limit: 20 } } })), []);
  const [more, setMore] = useState<Therapist[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const next = cursor === undefined ? first.data?.next_cursor : cursor;
  // A cached first page and a fresh next page may both hold a therapist whose rank moved: show each once.
  const therapists = [...(first.data?.items ?? []), ...more].filter(
    (therapist, index, all) => all.findIndex((other) => other.therapist_id === therapist.therapist_id) === index,
  );
  return (
    <>
      <h1>Find a therapist</h1>
      <p>Therapists are listed by how reliably they answer and keep sessions.</p>
      <ErrorNotice error={first.error} />
      {first.loading && !first.data ? <Loading what="therapists" /> : null}
      {first.data && therapists.length === 0 ? <p>No therapists are taking bookings yet.</p> : null}
      <ul className="cards">
        {therapists.map((therapist) => (
          <li key={therapist.therapist_id} className="card" data-testid="therapist-card">
            <h2>{therapist.name}</h2>
            <ul>
              {therapist.session_types.map((type) => (
                <li key={type.type}>
                  {type.type}: {type.duration_minutes} minutes, <Price money={type.price} />
                </li>
              ))}
            </ul>
            {therapist.free_initial_consultation ? <p className="badge">Free first consultation</p> : null}
            <p>{therapist.locations.map((location) => location.label).join(" · ")}</p>
            <a href={`#/therapists/${encodeURIComponent(therapist.therapist_id)}`}>
              See times and book <span className="visually-hidden">with {therapist.name}</span>
            </a>
          </li>
        ))}
      </ul>
      {next ? (
        <Action
          label="Show more therapists"
          kind="secondary"
          run={async () => {
            const page = await answer(api.GET("/therapists", { params: { query: { limit: 20, cursor: next } } }));
            setMore([...more, ...page.items]);
            setCursor(page.next_cursor ?? null);
          }}
        />
      ) : null}
    </>
  );
}
