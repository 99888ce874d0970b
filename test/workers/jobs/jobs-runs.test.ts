import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DigestError, type Digest } from "../../../agent/digest";
import { parseConfig } from "../../../workers/config";
import type { JobSpec } from "../../../workers/jobs/job-spec";
import { DeliveryStore } from "../../../workers/jobs/delivery-store";
import { nextWakeAt, processDue, type RunPipeline } from "../../../workers/jobs/run-executor";
import { RunStore } from "../../../workers/jobs/run-store";
import { runnerStub } from "../../../workers/jobs/runner";

function defaultJobsConfig() {
  const parsed = parseConfig({});
  if (!parsed.ok) throw parsed.error;
  return parsed.value.jobs;
}

const config = { ...defaultJobsConfig(), runRetryBaseMs: 5, webhookRetryBaseMs: 5 };
const egress = (request: Request) => {
  if (!env.JOBS_EGRESS) throw new Error("JOBS_EGRESS test binding missing");
  return env.JOBS_EGRESS.fetch(request);
};

function spec(webhookPath?: string, store = true): JobSpec {
  return {
    name: "Runs test",
    topic: "runs",
    schedule: { cron: "0 9 * * *", timezone: "UTC" },
    search: { pages: 3 },
    digest: { language: "en", length: "short" },
    delivery: {
      store,
      ...(webhookPath ? { webhook: { url: `https://hooks.example.com${webhookPath}`, secret: "whsec-0123456789abcdef" } } : {}),
    },
    enabled: true,
  };
}

const digest: Digest = {
  title: "Runs test: 2026-11-27",
  markdown: "# Runs test: 2026-11-27\n\nWorkers got faster [1].\n\n## Sources\n\n1. [Speed](https://news.example.com/speed) (news.example.com)\n",
  body: "Workers got faster [1].",
  sources: [{ index: 1, url: "https://news.example.com/speed", title: "Speed", domain: "news.example.com" }],
  cited: [1],
  dropped: [],
  queries: ["runs"],
  failedQueries: [],
};

/** Enqueues one run in a fresh runner and drives its work to the end with `pipeline`. */
async function drive(pipeline: RunPipeline, jobSpec: JobSpec) {
  const jobId = `job_test_${crypto.randomUUID().slice(0, 8)}`;
  const stub = runnerStub(env, jobId);
  const slot = Date.UTC(2026, 10, 27, 9);
  return runInDurableObject(stub, async (_instance, state) => {
    const store = new RunStore(state.storage.sql);
    const deliveries = new DeliveryStore(state.storage.sql);
    const { run } = store.enqueue({ id: `run_${jobId}`, jobId, slot, spec: jobSpec, origin: "https://jobs.test", now: Date.now() });
    let n = 0;
    const deps = { store, deliveries, pipeline, send: egress, config, now: () => Date.now(), newId: (p: string) => `${p}_${jobId}_${n++}` };
    for (let guard = 0; guard < 50; guard++) {
      await processDue(deps);
      const wake = nextWakeAt(deps);
      if (wake === null) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wake - Date.now()) + 1));
    }
    const final = store.getRun(run.id);
    return { run: final, attempts: store.attempts(run.id), deliveries: deliveries.ofRun(run.id) };
  });
}

async function received(path: string) {
  const res = await egress(new Request(`https://hooks.example.com/__log?path=${encodeURIComponent(path)}`));
  return (await res.json()) as { headers: Record<string, string>; body: string }[];
}

/** The receiver-side check from docs/jobs.md, written independently of workers/jobs/webhook.ts. */
async function verify(secret: string, header: string, body: string, toleranceSec = 300): Promise<boolean> {
  const parts = new Map(header.split(",").map((kv) => kv.split("=") as [string, string]));
  const t = Number(parts.get("t"));
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSec) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const mac = new Uint8Array((parts.get("v1") ?? "").match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  return crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(`${t}.${body}`));
}

describe("run execution", () => {
  it("stores the digest and delivers a signed webhook", async () => {
    const path = `/ok/${crypto.randomUUID()}`;
    const result = await drive(async () => digest, spec(path));
    expect(result.run).toMatchObject({ status: "succeeded", attempts: 1, error: null });
    expect(result.run?.digest).toMatchObject({ title: digest.title, cited: [1] });
    expect(result.deliveries).toHaveLength(1);
    expect(result.deliveries[0]).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
    expect(result.deliveries[0]!.attemptLog[0]).toMatchObject({ attempt: 1, httpStatus: 200, error: null });

    const [hit] = await received(path);
    expect(hit).toBeDefined();
    expect(hit!.headers["megrez-event"]).toBe("digest.created");
    expect(result.deliveries[0]!.event).toBe("digest.created");
    expect(hit!.headers["megrez-delivery"]).toBe(result.deliveries[0]!.id);
    expect(await verify("whsec-0123456789abcdef", hit!.headers["megrez-signature"]!, hit!.body)).toBe(true);
    expect(await verify("wrong-secret-0123456789", hit!.headers["megrez-signature"]!, hit!.body)).toBe(false);
    expect(await verify("whsec-0123456789abcdef", hit!.headers["megrez-signature"]!, hit!.body.replace("faster", "slower"))).toBe(false);
    const payload = JSON.parse(hit!.body);
    expect(payload).toMatchObject({
      type: "digest.created",
      deliveryId: result.deliveries[0]!.id,
      run: { scheduledFor: "2026-11-27T09:00:00.000Z" },
      digest: { markdown: digest.markdown, sources: digest.sources },
    });
  });

  it("retries a failing webhook receiver with backoff and records every failure", async () => {
    const path = `/fail/${crypto.randomUUID()}`;
    const result = await drive(async () => digest, spec(path));
    expect(result.run?.status).toBe("succeeded");
    const [delivery] = result.deliveries;
    expect(delivery).toMatchObject({ status: "failed", attempts: config.webhookMaxAttempts, lastError: "receiver answered HTTP 500" });
    expect(delivery!.attemptLog.map((a) => a.httpStatus)).toEqual(Array(config.webhookMaxAttempts).fill(500));
    const gaps = delivery!.attemptLog.slice(1).map((a, i) => a.at - delivery!.attemptLog[i]!.at);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(5 * 2 ** i);
    const hits = await received(path);
    expect(hits).toHaveLength(config.webhookMaxAttempts);
    expect(new Set(hits.map((h) => h.headers["megrez-delivery"])).size).toBe(1);
    for (const hit of hits) expect(await verify("whsec-0123456789abcdef", hit.headers["megrez-signature"]!, hit.body)).toBe(true);
  });

  it("delivers after transient failures, and gives up at once on a permanent refusal", async () => {
    const flaky = await drive(async () => digest, spec(`/flaky-2/${crypto.randomUUID()}`));
    expect(flaky.deliveries[0]).toMatchObject({ status: "delivered", attempts: 3 });
    expect(flaky.deliveries[0]!.attemptLog.map((a) => a.httpStatus)).toEqual([503, 503, 200]);
    const gone = await drive(async () => digest, spec(`/gone/${crypto.randomUUID()}`));
    expect(gone.deliveries[0]).toMatchObject({ status: "failed", attempts: 1, lastError: "receiver answered HTTP 410" });
  });

  it("retries a failing search, then records the run as failed with the reason and announces it", async () => {
    let calls = 0;
    const path = `/ok/failed-${crypto.randomUUID()}`;
    const result = await drive(async () => {
      calls++;
      throw new DigestError("search-failed", 'search failed for every query ("runs": search-failed (upstream))', true);
    }, spec(path));
    expect(calls).toBe(config.runMaxAttempts);
    expect(result.run).toMatchObject({
      status: "failed",
      attempts: config.runMaxAttempts,
      error: { code: "search-failed", message: expect.stringContaining("search failed for every query") },
      digest: null,
    });
    expect(result.attempts.map((a) => [a.outcome, a.errorCode])).toEqual(Array(config.runMaxAttempts).fill(["failed", "search-failed"]));
    expect(result.run?.finishedAt).not.toBeNull();
    // One run.failed delivery (not one per attempt), carrying the reason.
    expect(result.deliveries).toEqual([expect.objectContaining({ event: "run.failed", status: "delivered" })]);
    const [hit] = await received(path);
    expect(hit!.headers["megrez-event"]).toBe("run.failed");
    expect(JSON.parse(hit!.body)).toMatchObject({ type: "run.failed", error: { code: "search-failed" }, run: { id: result.run!.id } });
  });

  it("does not retry a permanent failure, and recovers from a transient one", async () => {
    const permanent = await drive(async () => {
      throw new DigestError("no-sources", "the job has neither a topic nor queries", false);
    }, spec());
    expect(permanent.run).toMatchObject({ status: "failed", attempts: 1, error: { code: "no-sources" } });

    let calls = 0;
    const transient = await drive(async () => {
      if (++calls === 1) throw new Error("engine hiccup");
      return digest;
    }, spec());
    expect(transient.run).toMatchObject({ status: "succeeded", attempts: 2, error: null });
    expect(transient.attempts.map((a) => a.outcome)).toEqual(["failed", "succeeded"]);
    expect(transient.attempts[0]!.errorMessage).toContain("engine hiccup");
  });

  it("keeps only the newest finished runs (JOBS_RUNS_KEPT)", async () => {
    const jobId = `job_test_${crypto.randomUUID().slice(0, 8)}`;
    const kept = await runInDurableObject(runnerStub(env, jobId), async (_instance, state) => {
      const store = new RunStore(state.storage.sql);
      const deliveries = new DeliveryStore(state.storage.sql);
      const deps = {
        store,
        deliveries,
        pipeline: async () => digest,
        send: egress,
        config: { ...config, runsKept: 2 },
        now: () => Date.now(),
        newId: (p: string) => `${p}_${crypto.randomUUID()}`,
      };
      for (const day of [1, 2, 3, 4]) {
        store.enqueue({ id: `run_${day}`, jobId, slot: Date.UTC(2026, 11, day, 9), spec: spec(), origin: "https://jobs.test", now: Date.now() });
        await processDue(deps);
      }
      return store.listRuns(10).map((r) => r.id);
    });
    expect(kept).toEqual(["run_4", "run_3"]);
  });

  it("keeps no digest when the job only delivers by webhook", async () => {
    const result = await drive(async () => digest, spec(`/ok/${crypto.randomUUID()}`, false));
    expect(result.run).toMatchObject({ status: "succeeded", digest: null });
    expect(result.deliveries[0]?.status).toBe("delivered");
  });
});
