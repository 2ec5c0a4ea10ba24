/** Free slots grouped by day: choose a day, then one time (single) or up to `max` times across days (multiple). */
import { useId, useState } from "react";
import type { Schemas } from "../api/client";
import { byDay, formatInstant, formatTime } from "../time";

type Slot = Schemas["Slot"];

export function SlotPicker({
  slots,
  chosen,
  onChange,
  max = 1,
  legend,
}: {
  slots: Slot[];
  chosen: string[];
  onChange: (starts: string[]) => void;
  max?: number;
  legend: string;
}) {
  const days = byDay(slots, (slot) => slot.start);
  const [day, setDay] = useState(0);
  const dayId = useId();
  if (days.length === 0) return <p>No free times in the next two weeks.</p>;
  const [dayLabel, daySlots] = days[Math.min(day, days.length - 1)] ?? ["", []];
  const multiple = max > 1;
  const toggle = (start: string) => {
    if (!multiple) return onChange([start]);
    if (chosen.includes(start)) return onChange(chosen.filter((s) => s !== start));
    if (chosen.length < max) onChange([...chosen, start].sort());
  };
  return (
    <div className="slot-picker">
      <label htmlFor={dayId}>Day</label>{" "}
      <select id={dayId} value={day} onChange={(event) => setDay(Number(event.target.value))}>
        {days.map(([label], index) => (
          <option key={label} value={index}>
            {label}
          </option>
        ))}
      </select>
      <fieldset>
        <legend>
          {legend} on {dayLabel}
          {multiple ? ` (up to ${max})` : ""}
        </legend>
        <div className="slots">
          {daySlots.map((slot) => (
            <label key={slot.start} className="slot">
              <input
                type={multiple ? "checkbox" : "radio"}
                name={`${dayId}-slot`}
                value={slot.start}
                checked={chosen.includes(slot.start)}
                disabled={multiple && !chosen.includes(slot.start) && chosen.length >= max}
                onChange={() => toggle(slot.start)}
              />
              {formatTime(slot.start)}
            </label>
          ))}
        </div>
      </fieldset>
      {multiple && chosen.length > 0 ? (
        <div>
          <p>Chosen ({chosen.length}):</p>
          <ul aria-label="Chosen times">
            {chosen.map((start) => (
              <li key={start}>
                {formatInstant(start)}{" "}
                <button type="button" className="secondary" onClick={() => toggle(start)}>
                  Remove {formatInstant(start)}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
