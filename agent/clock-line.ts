/**
 * Formats today's date in an explicit IANA time zone for the system prompt.
 * The reference used the server's local clock to the second; at the edge there
 * is no local clock worth trusting, so the zone is configuration, and only the
 * date is given: the prompt changes once a day, so the same request (at
 * temperature 0 or with a seed) gives the same answer all day.
 */

export function formatClockLine(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    weekday: "long",
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((entry) => entry.type === type)?.value ?? "";
  const date = `${part("year")}-${part("month")}-${part("day")}`;
  return `Current date: ${date}, ${part("weekday")} (${timeZone}).`;
}
