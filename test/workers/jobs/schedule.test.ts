import { describe, expect, it } from "vitest";
import { checkSchedule, latestSlotAtOrBefore, nextRuns, nextSlot } from "../../../workers/jobs/schedule";

const hourly = { cron: "0 * * * *", timezone: "UTC" };
const t = (iso: string) => Date.parse(iso);

describe("slot arithmetic", () => {
  it("finds the latest slot at or before an instant, exactly at, just before and just after a slot", () => {
    expect(latestSlotAtOrBefore(hourly, t("2026-11-26T10:00:00.000Z"))).toBe(t("2026-11-26T10:00:00Z"));
    expect(latestSlotAtOrBefore(hourly, t("2026-11-26T09:59:59.999Z"))).toBe(t("2026-11-26T09:00:00Z"));
    expect(latestSlotAtOrBefore(hourly, t("2026-11-26T10:00:00.500Z"))).toBe(t("2026-11-26T10:00:00Z"));
    expect(latestSlotAtOrBefore(hourly, t("2026-11-26T10:59:30Z"))).toBe(t("2026-11-26T10:00:00Z"));
  });

  it("gives the next slot strictly after an instant", () => {
    expect(nextSlot(hourly, t("2026-11-26T10:00:00Z"))).toBe(t("2026-11-26T11:00:00Z"));
    expect(nextSlot(hourly, t("2026-11-26T09:59:59Z"))).toBe(t("2026-11-26T10:00:00Z"));
  });

  it("follows the job's time zone across a daylight-saving change", () => {
    // 08:00 in Berlin: 07:00 UTC in winter, 06:00 UTC in summer (DST starts 2027-03-28).
    const runs = nextRuns({ cron: "0 8 * * *", timezone: "Europe/Berlin" }, new Date("2027-03-26T12:00:00Z"), 3).map((d) => d.toISOString());
    expect(runs).toEqual(["2027-03-27T07:00:00.000Z", "2027-03-28T06:00:00.000Z", "2027-03-29T06:00:00.000Z"]);
  });
});

describe("checkSchedule", () => {
  const now = new Date("2026-11-26T12:00:00Z");
  it("accepts ordinary schedules and nicknames", () => {
    for (const cron of ["0 8 * * 1", "30 6 * * *", "@daily", "0 */6 * * *", "15 9 1 * *"]) {
      expect(checkSchedule({ cron, timezone: "UTC" }, 15, now), cron).toEqual({ ok: true });
    }
  });

  it("explains what is wrong", () => {
    expect(checkSchedule({ cron: "0 25 * * *", timezone: "UTC" }, 15, now)).toMatchObject({ ok: false, message: expect.stringMatching(/hour/) });
    expect(checkSchedule({ cron: "0 0 * * * *", timezone: "UTC" }, 15, now)).toMatchObject({ ok: false, message: expect.stringMatching(/exactly 5 parts/) });
    expect(checkSchedule({ cron: "*/10 * * * *", timezone: "UTC" }, 15, now)).toMatchObject({ ok: false, message: expect.stringMatching(/every 15 minutes/) });
    expect(checkSchedule({ cron: "0 0 30 2 *", timezone: "UTC" }, 15, now)).toMatchObject({ ok: false });
    expect(checkSchedule({ cron: "0 8 * * *", timezone: "Nowhere/Land" }, 15, now)).toMatchObject({ ok: false, message: expect.stringMatching(/IANA/) });
  });
});
