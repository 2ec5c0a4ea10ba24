/** Small pieces every screen uses: problem notices, money, times with their zone, countdowns, actions. */
import { useState, type ReactNode } from "react";
import type { Money, Session } from "../api/client";
import { useApp } from "../state";
import { formatInstant, formatMoney, remaining, viewerZone } from "../time";

export function ErrorNotice({ error }: { error: Error | null }) {
  if (!error) return null;
  return (
    <div role="alert" className="problem">
      {error.message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p aria-live="polite">Loading {what}…</p>;
}

export function When({ at }: { at: string }) {
  return <time dateTime={at}>{formatInstant(at)}</time>;
}

export function Price({ money }: { money: Money }) {
  return <span>{formatMoney(money)}</span>;
}

export function ZoneNote() {
  return <p className="zone-note">Times are shown in your time zone, {viewerZone}.</p>;
}

/** "3 h 12 min left" until `until` on the service's clock, or "expired". */
export function Countdown({ until, label }: { until: string; label: string }) {
  const { now } = useApp();
  const left = remaining(until, now);
  return (
    <p className="countdown" data-testid="countdown">
      {label}: <When at={until} />{" "}
      {left ? <strong>({left})</strong> : <strong className="expired">(expired)</strong>}
    </p>
  );
}

const STATUS_LABEL: Record<Session["status"], string> = {
  pending: "Awaiting the therapist",
  confirmed: "Confirmed",
  declined: "Declined",
  alternatives_offered: "Alternative times offered",
  awaiting_client: "Location change to agree",
  cancelled: "Cancelled",
  completed: "Completed",
};

export function StatusBadge({ status }: { status: Session["status"] }) {
  return <span className={`status status-${status}`}>{STATUS_LABEL[status]}</span>;
}

/** A button that runs an action, shows it is busy and shows the problem if it fails. */
export function Action({
  label,
  run,
  disabled,
  kind = "primary",
}: {
  label: string;
  run: () => Promise<void>;
  disabled?: boolean;
  kind?: "primary" | "secondary" | "danger";
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  return (
    <span className="action">
      <button
        type="button"
        className={kind}
        disabled={disabled || busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          run()
            .catch((failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure))))
            .finally(() => setBusy(false));
        }}
      >
        {busy ? `${label}…` : label}
      </button>
      <ErrorNotice error={error} />
    </span>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
