/**
 * End to end inside workerd: a job created through the API, the cron handler,
 * the job's runner alarm, and the production pipeline (the chat's research
 * stage over the local corpus served from ASSETS, the digest writer) with only
 * the engine replaced by a scripted OpenAI-compatible double.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createRunPipeline } from "../../../workers/jobs/pipeline";
import { runnerStub } from "../../../workers/jobs/runner";
import { createFakeEngine } from "../api/support/fake-engine";
import { api, createJob, eventually, fireScheduled, listRuns, terminal, type RunJson } from "./support/api";

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE" });
});

async function requireCorpus(): Promise<void> {
  const index = await env.ASSETS.fetch("https://assets.local/corpus/index.json");
  if (!index.ok) throw new Error("the local corpus is not built: run `npx tsx scripts/build.ts` (npm test does) first");
}

const DIGEST_TEXT = "Deliveries are signed with HMAC-SHA256 [citation:1], and feeds use a per-job token [citation:2]. Bogus [citation:9].";

describe("a scheduled run through the real pipeline", () => {
  it("creates a job, fires the cron handler, stores a digest citing the pages it read and delivers it", async () => {
    await requireCorpus();
    const hookPath = `/ok/pipeline-${crypto.randomUUID()}`;
    const job = await createJob({
      name: "Docs digest",
      topic: "webhook signature verification and feed tokens",
      schedule: { cron: "11 10 * * *" },
      search: { provider: "local", pages: 3 },
      digest: { length: "short" },
      delivery: { store: true, webhook: { url: `https://hooks.example.com${hookPath}`, secret: "pipeline-secret-0123456789" } },
    });
    created.push(job.id);
    const engine = createFakeEngine({ reply: () => DIGEST_TEXT });
    await runInDurableObject(runnerStub(env, job.id), (instance) => {
      instance.pipeline = createRunPipeline({ ...env, ENGINE: engine });
    });

    const slot = job.schedule.nextRuns[0]!;
    await fireScheduled(slot);
    const [run] = await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs.length === 1 && terminal(runs[0]!.status),
    );
    expect(run).toMatchObject({ scheduledFor: slot, status: "succeeded", attempts: 1, error: null });

    const digest = (await (await api(`/api/jobs/${job.id}/digest`)).json()) as {
      runId: string;
      body: string;
      markdown: string;
      sources: { index: number; url: string; title: string }[];
      cited: number[];
      dropped: number[];
    };
    expect(digest.runId).toBe(run!.id);
    expect(digest.body).toBe("Deliveries are signed with HMAC-SHA256 [1], and feeds use a per-job token [2]. Bogus.");
    expect(digest.cited).toEqual([1, 2]);
    expect(digest.dropped).toEqual([9]);
    expect(digest.sources.length).toBeGreaterThanOrEqual(2);
    // Every source is a corpus page on the origin the job was created on, and was fetched and summarized:
    // the engine saw a summary prompt for exactly that URL.
    const summaryPrompts = engine.calls.filter((c) => c.path === "/v1/completions").flatMap((c) => c.body.prompt ?? []);
    for (const source of digest.sources) {
      expect(source.url).toMatch(/^https:\/\/jobs\.test\/corpus\//);
      expect(
        summaryPrompts.some((p) => p.includes(`url="${source.url}"`)),
        source.url,
      ).toBe(true);
      expect(digest.markdown).toContain(`${source.index}. [`);
      expect(digest.markdown).toContain(`](${source.url})`);
    }
    // The writing call saw the numbered summaries, in our citation format.
    const writing = engine.calls.find((c) => c.path === "/v1/chat/completions");
    expect(writing?.body.messages?.map((m) => m.content).join("\n")).toContain(`[citation:1] ${digest.sources[0]!.title} (${digest.sources[0]!.url})`);

    // The webhook went out from the runner's alarm, signed, with the same digest.
    const details = await eventually(
      async () => (await (await api(`/api/jobs/${job.id}/runs/${run!.id}`)).json()) as { deliveries: { status: string; attempts: number }[] },
      (d) => d.deliveries.length === 1 && d.deliveries[0]!.status !== "pending",
    );
    expect(details.deliveries[0]).toMatchObject({ status: "delivered", attempts: 1 });
    const log = (await (await env.JOBS_EGRESS!.fetch(`https://hooks.example.com/__log?path=${encodeURIComponent(hookPath)}`)).json()) as {
      headers: Record<string, string>;
      body: string;
    }[];
    expect(log).toHaveLength(1);
    expect(JSON.parse(log[0]!.body).digest.markdown).toBe(digest.markdown);
    expect(log[0]!.headers["megrez-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it("stops a run in progress when its job is deleted, leaving nothing behind", async () => {
    await requireCorpus();
    const job = await createJob({
      name: "Deleted mid-run",
      topic: "webhook signature verification",
      schedule: { cron: "47 10 * * *" },
      search: { provider: "local", pages: 2 },
    });
    const engine = createFakeEngine({ reply: () => "Slow words [citation:1]. ".repeat(20), chunkSize: 4, chunkDelayMs: 20 });
    const runner = runnerStub(env, job.id);
    await runInDurableObject(runner, (instance) => {
      instance.pipeline = createRunPipeline({ ...env, ENGINE: engine });
    });
    await fireScheduled(job.schedule.nextRuns[0]!);
    await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs[0]?.status === "running",
    );
    expect((await api(`/api/jobs/${job.id}`, { method: "DELETE" })).status).toBe(200);
    // Wait past the moment the slow answer would have finished, then look inside the object.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const tables = await runInDurableObject(runner, (_instance, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'deliveries')").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await runInDurableObject(runner, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });

  it("records a run whose search cannot work as failed, with the reason", async () => {
    // serper without SERPER_API_KEY: the provider cannot be built, a permanent failure (no retries).
    const job = await createJob({ name: "No key", topic: "anything at all", schedule: { cron: "23 10 * * *" }, search: { provider: "serper" } });
    created.push(job.id);
    await fireScheduled(job.schedule.nextRuns[0]!);
    const [run] = await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs.length === 1 && terminal(runs[0]!.status),
    );
    expect(run).toMatchObject({ status: "failed", attempts: 1, error: { code: "search-failed" } });
    expect(run!.error!.message).toMatch(/serper/i);
    const details = (await (await api(`/api/jobs/${job.id}/runs/${run!.id}`)).json()) as { attemptLog: { outcome: string; error: { code: string } }[] };
    expect(details.attemptLog).toEqual([expect.objectContaining({ outcome: "failed", error: expect.objectContaining({ code: "search-failed" }) })]);
  });

  it("searches only the job's domains: a filter no corpus page passes leaves the run without sources", async () => {
    await requireCorpus();
    const job = await createJob({
      name: "Elsewhere only",
      topic: "webhook signature verification",
      schedule: { cron: "29 10 * * *" },
      search: { provider: "local", pages: 3, domains: ["elsewhere.example"] },
    });
    created.push(job.id);
    const engine = createFakeEngine({ reply: () => DIGEST_TEXT });
    await runInDurableObject(runnerStub(env, job.id), (instance) => {
      instance.pipeline = createRunPipeline({ ...env, ENGINE: engine });
    });
    await fireScheduled(job.schedule.nextRuns[0]!);
    const [run] = await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs.length === 1 && terminal(runs[0]!.status),
    );
    expect(run).toMatchObject({ status: "failed", error: { code: "no-sources" } });
    expect(engine.calls.filter((call) => call.path === "/v1/completions")).toEqual([]);
  });

  it("retries a run whose engine is down, then records it as failed", async () => {
    await requireCorpus();
    const job = await createJob({
      name: "Engine down",
      topic: "webhook signature verification",
      schedule: { cron: "37 10 * * *" },
      search: { provider: "local", pages: 2 },
    });
    created.push(job.id);
    const engine = createFakeEngine({ failWith: { status: 503, body: "overloaded" } });
    await runInDurableObject(runnerStub(env, job.id), (instance) => {
      instance.pipeline = createRunPipeline({ ...env, ENGINE: engine });
    });
    await fireScheduled(job.schedule.nextRuns[0]!);
    const [run] = await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs.length === 1 && terminal(runs[0]!.status),
    );
    expect(run).toMatchObject({ status: "failed", attempts: 3 });
    expect(["model-failed", "no-sources"]).toContain(run!.error!.code);
  });

  it("records a run whose digest text was cut off by the engine as failed, never as a digest", async () => {
    await requireCorpus();
    const job = await createJob({
      name: "Engine cut",
      topic: "webhook signature verification",
      schedule: { cron: "41 10 * * *" },
      search: { provider: "local", pages: 2 },
    });
    created.push(job.id);
    const engine = createFakeEngine({ reply: () => DIGEST_TEXT, cut: { afterChunks: 4, how: "close" } });
    await runInDurableObject(runnerStub(env, job.id), (instance) => {
      instance.pipeline = createRunPipeline({ ...env, ENGINE: engine });
    });
    await fireScheduled(job.schedule.nextRuns[0]!);
    const [run] = await eventually(
      () => listRuns(job.id),
      (runs: RunJson[]) => runs.length === 1 && terminal(runs[0]!.status),
    );
    expect(run).toMatchObject({ status: "failed", error: { code: "model-failed" } });
    expect((await api(`/api/jobs/${job.id}/digest`)).status).toBe(404);
  });
});
