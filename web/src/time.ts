/** Times in the viewer's time zone, always with the zone named. */

export const viewerZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: viewerZone,
  timeZoneName: "short",
});
const timeOnly = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  timeZone: viewerZone,
  timeZoneName: "short",
});
const dayOnly = new Intl.DateTimeFormat("en-GB", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: viewerZone,
});
// en-GB names British and European zones (GMT, BST, CET) but only offsets American ones ("GMT-5"); en-US names
// those (EST, EDT). The first name that is not a bare offset, else the offset (zones with no common name).
const zoneNames = ["en-GB", "en-US"].map((locale) => new Intl.DateTimeFormat(locale, { timeZone: viewerZone, timeZoneName: "short" }));

function zoneName(date: Date): string {
  const names = zoneNames.map((format) => format.formatToParts(date).find((part) => part.type === "timeZoneName")?.value ?? "");
  return names.find((name) => name && !/^(GMT|UTC)[+\-−]/.test(name)) ?? names[0] ?? "";
}

function withZoneName(format: Intl.DateTimeFormat, date: Date): string {
  return format
    .formatToParts(date)
    .map((part) => (part.type === "timeZoneName" ? zoneName(date) : part.value))
    .join("");
}

export function formatInstant(iso: string): string {
  return withZoneName(dateTime, new Date(iso));
}

export function formatTime(iso: string): string {
  return withZoneName(timeOnly, new Date(iso));
}

export function formatDay(iso: string): string {
  return dayOnly.format(new Date(iso));
}

/** Groups instants (ISO strings) by the viewer's calendar day, in order. */
export function byDay<T>(items: T[], start: (item: T) => string): [string, T[]][] {
  const days = new Map<string, T[]>();
  for (const item of items) {
    const day = formatDay(start(item));
    days.set(day, [...(days.get(day) ?? []), item]);
  }
  return [...days.entries()];
}

/** A datetime-local input's value (a wall time in the viewer's zone) as an instant the API accepts. */
export function wallTimeToInstant(value: string): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function isoAt(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function remaining(until: string, now: Date): string | null {
  const millis = new Date(until).getTime() - now.getTime();
  if (millis <= 0) return null;
  const minutes = Math.ceil(millis / 60000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min left` : `${minutes} min left`;
}

export function formatMoney(money: { amount: number; currency: string }): string {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: money.currency }).format(money.amount / 100);
}
