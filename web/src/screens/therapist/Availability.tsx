/** Weekly availability, notice and horizon; and blocks of time off. */
import { useEffect, useState } from "react";
import { answer, api, type Schemas } from "../../api/client";
import { Action, ErrorNotice, Loading, When, ZoneNote } from "../../components/common";
import { ownTherapistProfile } from "../../data";
import { useLoad } from "../../state";
import { wallTimeToInstant } from "../../time";

type Window = Schemas["WeeklyWindowBody"];
const DAYS: Window["day"][] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function Availability() {
  const profile = useLoad(() => ownTherapistProfile(), []);
  const [weekly, setWeekly] = useState<Window[]>([]);
  const [notice, setNotice] = useState(24);
  const [horizon, setHorizon] = useState(60);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const availability = profile.data?.availability;
    if (!availability) return;
    setWeekly(availability.weekly);
    setNotice(availability.min_notice_hours);
    setHorizon(availability.horizon_days);
  }, [profile.data]);
  const update = (index: number, change: Partial<Window>) =>
    setWeekly(weekly.map((window, at) => (at === index ? { ...window, ...change } : window)));
  return (
    <>
      <h1>Availability</h1>
      <ZoneNote />
      <ErrorNotice error={profile.error} />
      {profile.loading && !profile.data ? <Loading what="your availability" /> : null}
      {profile.data ? (
        <form onSubmit={(event) => event.preventDefault()}>
          <p>Weekly hours, on your own wall clock ({profile.data.timezone}).</p>
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {weekly.map((window, index) => (
                <tr key={index}>
                  <td>
                    <select aria-label={`Day of window ${index + 1}`} value={window.day} onChange={(event) => update(index, { day: event.target.value as Window["day"] })}>
                      {DAYS.map((day) => (
                        <option key={day} value={day}>
                          {day}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input aria-label={`Start of window ${index + 1}`} type="time" step={900} value={window.start} onChange={(event) => update(index, { start: event.target.value })} />
                  </td>
                  <td>
                    <input aria-label={`End of window ${index + 1}`} type="time" step={900} value={window.end} onChange={(event) => update(index, { end: event.target.value })} />
                  </td>
                  <td>
                    <button type="button" className="secondary" onClick={() => setWeekly(weekly.filter((_, at) => at !== index))}>
                      Remove window {index + 1}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" className="secondary" onClick={() => setWeekly([...weekly, { day: "mon", start: "09:00", end: "17:00" }])}>
            Add a window
          </button>
          <p>
            <label>
              Minimum notice (hours){" "}
              <input type="number" min={0} max={720} value={notice} onChange={(event) => setNotice(Number(event.target.value))} />
            </label>
          </p>
          <p>
            <label>
              Bookable up to (days ahead){" "}
              <input type="number" min={1} max={365} value={horizon} onChange={(event) => setHorizon(Number(event.target.value))} />
            </label>
          </p>
          <Action
            label="Save availability"
            run={async () => {
              setSaved(false);
              await answer(api.PUT("/therapists/me/availability", { body: { weekly, min_notice_hours: notice, horizon_days: horizon } }));
              setSaved(true);
            }}
          />
          {saved ? <p role="status">Availability saved.</p> : null}
        </form>
      ) : null}
      <Blocks />
    </>
  );
}

function Blocks() {
  const blocks = useLoad(() => answer(api.GET("/therapists/me/blocks")), []);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [note, setNote] = useState("");
  return (
    <section aria-label="Blocks">
      <h2>Blocked time</h2>
      <ErrorNotice error={blocks.error} />
      {blocks.data && blocks.data.items.length === 0 ? <p>No blocks ahead.</p> : null}
      <ul>
        {(blocks.data?.items ?? []).map((block) => (
          <li key={block.block_id}>
            <When at={block.start} /> to <When at={block.end} />
            {block.note ? `: ${block.note}` : ""}{" "}
            <Action
              label="Remove block"
              kind="secondary"
              run={async () => {
                await answer(api.DELETE("/therapists/me/blocks/{block_id}", { params: { path: { block_id: block.block_id } } }));
                blocks.reload();
              }}
            />
          </li>
        ))}
      </ul>
      <form onSubmit={(event) => event.preventDefault()}>
        <label>
          Block from <input type="datetime-local" step={900} value={start} onChange={(event) => setStart(event.target.value)} />
        </label>{" "}
        <label>
          until <input type="datetime-local" step={900} value={end} onChange={(event) => setEnd(event.target.value)} />
        </label>{" "}
        <label>
          Note (private) <input value={note} maxLength={200} onChange={(event) => setNote(event.target.value)} />
        </label>{" "}
        <Action
          label="Add block"
          disabled={!start || !end}
          run={async () => {
            await answer(
              api.POST("/therapists/me/blocks", {
                body: { start: wallTimeToInstant(start), end: wallTimeToInstant(end), ...(note ? { note } : {}) },
              }),
            );
            setStart("");
            setEnd("");
            setNote("");
            blocks.reload();
          }}
        />
      </form>
    </section>
  );
}
