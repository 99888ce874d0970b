/**
 * Cron schedules of jobs, on croner: validation (5-field patterns, IANA time
 * zones, a minimum interval so a job cannot run every minute), the next run
 * times shown to users, and the slot arithmetic the scheduled handler uses.
 * A "slot" is the instant a cron occurrence falls on (ms since epoch); a run
 * is identified by (job, slot), which is what makes a retried trigger harmless.
 */
import { Cron } from "croner";

export interface Schedule {
  cron: string;
  timezone: string;
}

/** On failure, `field` is the schedule's field at fault. */
export type ScheduleCheck = { ok: true } | { ok: false; field: "cron" | "timezone"; message: string };

function build(schedule: Schedule): Cron {
  return new Cron(schedule.cron, { paused: true, timezone: schedule.timezone, mode: "5-part" });
}

/** Checks pattern, time zone and minimum spacing; the message says what to fix. */
export function checkSchedule(schedule: Schedule, minIntervalMinutes: number, now: Date): ScheduleCheck {
  let cron: Cron;
  try {
    cron = build(schedule);
  } catch (err) {
    return { ok: false, field: "cron", message: `Invalid cron expression "${schedule.cron}": ${errorText(err)}` };
  }
  let runs: Date[];
  try {
    runs = cron.nextRuns(8, now);
  } catch {
    return { ok: false, field: "timezone", message: `Invalid time zone "${schedule.timezone}": use an IANA name such as "UTC" or "Europe/Berlin"` };
  }
  if (runs.length === 0) return { ok: false, field: "cron", message: `Cron expression "${schedule.cron}" never fires` };
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i]!.getTime() - runs[i - 1]!.getTime();
    if (gap < minIntervalMinutes * 60_000) {
      return {
        ok: false,
        field: "cron",
        message: `Cron expression "${schedule.cron}" fires more often than every ${minIntervalMinutes} minutes`,
      };
    }
  }
  return { ok: true };
}

/** The next `count` run times after `after`. */
export function nextRuns(schedule: Schedule, after: Date, count: number): Date[] {
  return build(schedule).nextRuns(count, after);
}

/** The first slot strictly after `after`, or null when the pattern never fires again. */
export function nextSlot(schedule: Schedule, after: number): number | null {
  return build(schedule).nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * The latest slot at or before `at`. Missed slots collapse into the latest one:
 * after an outage a job runs once, not once per missed occurrence.
 */
export function latestSlotAtOrBefore(schedule: Schedule, at: number): number | null {
  // croner's previousRuns excludes the reference instant; one second later includes it.
  const candidates = build(schedule).previousRuns(2, new Date(at + 1000));
  const slot = candidates.find((d) => d.getTime() <= at);
  return slot ? slot.getTime() : null;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^CronPattern: /, "");
}
