/**
 * The job registry sharded by owner (workers/jobs/registry-shards.ts), through the real jobs
 * API and cron handler inside workerd: the jobs of many API keys spread over the shards, each
 * id names its owner's shard, every key sees only its own jobs, the dispatcher fans out across
 * the shards and hands each job exactly one run per slot, and a job left in the pre-sharding
 * registry is still found, listed and dispatched.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dispatchDueJobs } from "../../../workers/jobs/scheduled";
import { jobIdPrefix, REGISTRY_SHARDS, shardOfJobId } from "../../../workers/jobs/registry-shards";
import { api, type JobJson } from "./support/api";

const OWNERS = 40;
const keys = Array.from({ length: OWNERS }, (_, i) => `shard-test-key-${i.toString().padStart(2, "0")}`);
const vars = { API_KEYS: keys.join(",") };

async function create(key: string, cron: string): Promise<JobJson> {
  const res = await api("/api/jobs", {
    method: "POST",
    key,
    vars,
    // Runs fail at once (serper without a key): these tests are about dispatch, not research.
    json: { name: `job of ${key}`, topic: "sharding", schedule: { cron }, search: { provider: "serper" } },
  });
  const body = (await res.json()) as JobJson;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

async function runsOf(key: string, id: string): Promise<{ scheduledFor: string }[]> {
  const res = await api(`/api/jobs/${id}/runs`, { key, vars });
  expect(res.status).toBe(200);
  return ((await res.json()) as { runs: { scheduledFor: string }[] }).runs;
}

describe("the job registry sharded by owner", () => {
  it("dispatches the jobs of many owners once per slot, across the shards", async () => {
    const jobs = await Promise.all(keys.map(async (key) => ({ key, job: await create(key, "23 4 * * *") })));
    const shards = new Set(jobs.map(({ job }) => shardOfJobId(job.id)));
    expect(shards.has(null)).toBe(false);
    // 40 owners over 16 shards: most shards hold some (a fixed set of keys, so this is exact, not luck).
    expect(shards.size).toBeGreaterThanOrEqual(12);

    const slot = jobs[0]?.job.schedule.nextRuns[0] ?? "";
    expect(jobs.every(({ job }) => job.schedule.nextRuns[0] === slot)).toBe(true);
    const first = await dispatchDueJobs(env, Date.parse(slot));
    expect(first).toMatchObject({ shards: REGISTRY_SHARDS + 1, failed: 0 });
    expect(first.enqueued).toBeGreaterThanOrEqual(OWNERS);
    // The same tick again, and the next minute of the same slot: nothing new.
    const again = await dispatchDueJobs(env, Date.parse(slot));
    const later = await dispatchDueJobs(env, Date.parse(slot) + 60_000);
    expect(again.enqueued + later.enqueued).toBe(0);
    for (const { key, job } of jobs) expect((await runsOf(key, job.id)).map((run) => run.scheduledFor)).toEqual([slot]);

    // Each key sees its own job only, and not another key's by id.
    for (const { key, job } of jobs.slice(0, 5)) {
      const listed = (await (await api("/api/jobs", { key, vars })).json()) as { jobs: JobJson[] };
      expect(listed.jobs.map((j) => j.id)).toEqual([job.id]);
    }
    const [a, b] = jobs;
    expect((await api(`/api/jobs/${b?.job.id}`, { key: a?.key ?? "", vars })).status).toBe(404);
    // A feed reader has no key: the id alone finds the shard.
    const feed = await api(new URL(a?.job.feedUrl ?? "").pathname + new URL(a?.job.feedUrl ?? "").search, { key: null, vars });
    expect(feed.status).toBe(200);
    for (const { key, job } of jobs) await api(`/api/jobs/${job.id}`, { method: "DELETE", key, vars });
  });

  it("still serves and dispatches a job stored in the pre-sharding registry", async () => {
    const key = keys[0] ?? "";
    const mine = await create(key, "31 5 * * *");
    const legacy = env.JOB_REGISTRY.get(env.JOB_REGISTRY.idFromName("registry"));
    const owner = (await (await api(`/api/jobs/${mine.id}`, { key, vars })).json()) as JobJson;
    expect(owner.id).toBe(mine.id);
    // The old registry minted `job_` + 24 random hex digits; 0xff names no shard.
    const stored = await legacy.createJob(
      await ownerOf(key),
      {
        name: "legacy",
        topic: "sharding",
        schedule: { cron: "31 5 * * *", timezone: "UTC" },
        search: { provider: "serper", pages: 3 },
        digest: { language: "en", length: "short" },
        delivery: { store: true },
        enabled: true,
      } as never,
      "https://jobs.test",
      Date.now(),
      50,
      jobIdPrefix(0xff),
    );
    if (!stored.ok) throw new Error("legacy job not stored");
    const id = stored.job.id;
    expect(shardOfJobId(id)).toBeNull();
    expect((await api(`/api/jobs/${id}`, { key, vars })).status).toBe(200);
    const listed = (await (await api("/api/jobs", { key, vars })).json()) as { jobs: JobJson[] };
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([id, mine.id].sort());
    const slot = mine.schedule.nextRuns[0] ?? "";
    await dispatchDueJobs(env, Date.parse(slot));
    expect((await runsOf(key, id)).map((run) => run.scheduledFor)).toEqual([slot]);
    expect((await runsOf(key, mine.id)).map((run) => run.scheduledFor)).toEqual([slot]);
    for (const job of [id, mine.id]) expect((await api(`/api/jobs/${job}`, { method: "DELETE", key, vars })).status).toBe(200);
    expect(await legacy.countJobs(await ownerOf(key))).toBe(0);
  });
});

/** The owner the API stores for a key: `key:` and the first 6 bytes of its SHA-256 (workers/middleware/auth.ts). */
async function ownerOf(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return `key:${[...digest.slice(0, 6)].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
