import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runnerStub } from "../../../workers/jobs/runner";
import { api, createJob, fireScheduled, listRuns } from "./support/api";

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE" });
});

async function make(cron: string, extra: Record<string, unknown> = {}) {
  // These tests are about dispatch: the runs they start fail at once (serper without a key)
  // instead of reaching for an engine that is not there.
  const job = await createJob({ name: `sched ${cron}`, topic: "scheduling test", schedule: { cron }, search: { provider: "serper" }, ...extra });
  created.push(job.id);
  return job;
}

describe("scheduled dispatch", () => {
  it("enqueues one run for the due slot, and firing the same slot again adds none", async () => {
    const job = await make("13 4 * * *");
    const slot = job.schedule.nextRuns[0]!;
    await fireScheduled(slot);
    await fireScheduled(slot);
    const runs = await listRuns(job.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.scheduledFor).toBe(slot);

    // A tick later in the same slot (the cron trigger fires every minute) still adds nothing.
    await fireScheduled(new Date(Date.parse(slot) + 60_000).toISOString());
    expect(await listRuns(job.id)).toHaveLength(1);
    const read = (await (await api(`/api/jobs/${job.id}`)).json()) as { lastScheduledFor: string; schedule: { nextRuns: string[] } };
    expect(read.lastScheduledFor).toBe(slot);
  });

  it("does not run a job before its slot, and runs the next slot as a separate run", async () => {
    const job = await make("29 5 * * *");
    const [first, second] = job.schedule.nextRuns;
    await fireScheduled(Date.parse(first!) - 60_000);
    expect(await listRuns(job.id)).toHaveLength(0);
    await fireScheduled(first!);
    await fireScheduled(second!);
    const runs = await listRuns(job.id);
    expect(runs.map((r) => r.scheduledFor)).toEqual([second, first]);
  });

  it("collapses missed slots into the latest one after an outage", async () => {
    const job = await make("41 6 * * *");
    const [, , third] = job.schedule.nextRuns;
    await fireScheduled(Date.parse(third!) + 30_000);
    const runs = await listRuns(job.id);
    expect(runs.map((r) => r.scheduledFor)).toEqual([third]);
  });

  it("skips disabled jobs", async () => {
    const job = await make("53 7 * * *", { enabled: false });
    const patched = await api(`/api/jobs/${job.id}`);
    expect(((await patched.json()) as { schedule: { nextRuns: string[] } }).schedule.nextRuns).toEqual([]);
    await fireScheduled(Date.now() + 3 * 86_400_000);
    expect(await listRuns(job.id)).toHaveLength(0);
  });

  it("runs a job on demand, outside its schedule", async () => {
    const job = await make("19 9 * * *");
    const res = await api(`/api/jobs/${job.id}/runs`, { method: "POST" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: string; scheduledFor: string; status: string };
    expect(body.status).toBe("queued");
    const runs = await listRuns(job.id);
    expect(runs.map((r) => [r.id, r.scheduledFor])).toEqual([[body.runId, body.scheduledFor]]);
  });

  it("answers two run-now requests in the same millisecond with one run, saying so", async () => {
    const job = await make("21 9 * * *");
    // Only Date is faked: both requests read the same millisecond, as two clicks can.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    const responses = await Promise.all([api(`/api/jobs/${job.id}/runs`, { method: "POST" }), api(`/api/jobs/${job.id}/runs`, { method: "POST" })]).finally(
      () => vi.useRealTimers(),
    );
    const bodies = (await Promise.all(responses.map((res) => res.json()))) as { runId: string; scheduledFor: string; created: boolean }[];
    const runs = await listRuns(job.id);
    expect(bodies[0]?.scheduledFor).toBe(bodies[1]?.scheduledFor);
    expect(responses.map((res) => res.status).sort()).toEqual([200, 202]);
    expect(bodies.map((body) => body.created).sort()).toEqual([false, true]);
    expect(bodies[0]?.runId).toBe(bodies[1]?.runId);
    expect(runs.map((run) => run.id)).toEqual([bodies[0]?.runId]);
  });

  it("a runner deduplicates a repeated hand-off of the same slot", async () => {
    const job = await make("7 8 * * *");
    const read = (await (await api(`/api/jobs/${job.id}`)).json()) as Record<string, unknown>;
    expect(read.id).toBe(job.id);
    const runner = runnerStub(env, job.id);
    const spec = {
      name: "x",
      topic: "dedupe",
      schedule: { cron: "7 8 * * *", timezone: "UTC" },
      search: { pages: 2 },
      digest: { language: "en", length: "short" as const },
      delivery: { store: true },
      enabled: true,
    };
    const slot = Date.parse(job.schedule.nextRuns[0]!);
    const a = await runner.enqueue({ jobId: job.id, slot, spec, origin: "https://jobs.test" });
    const b = await runner.enqueue({ jobId: job.id, slot, spec, origin: "https://jobs.test" });
    expect(a.created).toBe(true);
    expect(b).toEqual({ runId: a.runId, created: false, status: "queued" });
    expect(await listRuns(job.id)).toHaveLength(1);
  });
});
