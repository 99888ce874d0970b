/**
 * Formats "now" in an explicit IANA time zone for the system prompt. The
 * reference used the server's local clock; at the edge there is no local
 * clock worth trusting, so the zone is configuration.
 */

export function formatClockLine(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    weekday: "long",
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((entry) => entry.type === type)?.value ?? "";
  const date = `${part("year")}-${part("month")}-${part("day")}`;
  const time = `${part("hour")}:${part("minute")}:${part("second")}`;
  return `Current date and time: ${date} ${time}, ${part("weekday")} (${timeZone}).`;
}
