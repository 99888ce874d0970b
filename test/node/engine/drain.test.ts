/**
 * What a router needs from the engine: /health reports load (queue depth, running sequences,
 * free KV memory, prefix-cache bytes), and a drain (SIGTERM) stops admitting, lets held
 * requests finish, ends what is left at its deadline with an error, and exits 0 — both in
 * process (server/drain.ts) and as the real `container/main.ts` process, alone and under
 * `container/supervisor.ts`. In process on both schedulers: the standard graph's BatchScheduler
 * and the fast graph's PoolScheduler (KV pool on the native runtime).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { drainEngine } from "../../../container/server/drain";
import { makeTestModel, testEngine } from "./support/test-engine";
import { startTestServer, type TestServer } from "./support/test-server";

const model = makeTestModel(23);
const fastModel = makeTestModel(23, { graph: "fast", dtype: "fp32" });
const models = [
  { graph: "standard", model, scheduler: "BatchScheduler" },
  { graph: "fast", model: fastModel, scheduler: "PoolScheduler" },
];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  model.cleanup();
  fastModel.cleanup();
});

const LONG = { messages: [{ role: "user", content: "tell me a long story" }], max_tokens: 2000, ignore_eos: true, temperature: 0, stream: true };

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Reads an SSE chat stream; resolves `started` at the first content frame. */
function readStream(response: Promise<Response>): { started: Promise<void>; done: Promise<{ text: string; finish: string | null; errors: string[] }> } {
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const done = (async () => {
    const res = await response;
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let text = "";
    let finish: string | null = null;
    const errors: string[] = [];
    for (;;) {
      const step = await reader?.read();
      if (!step || step.done) break;
      buffer += decoder.decode(step.value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const data = buffer.slice(0, end).replace(/^data: /, "");
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        if (data === "[DONE]") continue;
        const frame = JSON.parse(data);
        if (frame.error) errors.push(frame.error.code);
        const choice = frame.choices?.[0];
        if (choice?.delta?.content) {
          text += choice.delta.content;
          markStarted();
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
    }
    markStarted();
    return { text, finish, errors };
  })();
  return { started, done };
}

describe.each(models)("health and drain in process ($graph graph)", ({ model, scheduler }) => {
  let engine: Engine;
  let server: TestServer;
  beforeAll(async () => {
    engine = await testEngine(model, { maxBatch: 1, maxQueue: 4, prefixCacheBytes: 64 * 2 ** 20 });
    server = await startTestServer(engine);
  });

  it(`runs on ${scheduler}`, () => {
    expect(engine.scheduler.constructor.name).toBe(scheduler);
  });
  afterAll(async () => {
    await server.close();
    await engine.release();
  });

  it("reports queue depth, running sequences, free KV memory and prefix-cache bytes", async () => {
    const idle = await (await fetch(`${server.url}/health`)).json();
    expect(idle).toMatchObject({ ok: true, status: "ready", draining: false, queue_depth: 0, running_sequences: 0, max_batch: 1, kv_used_bytes: 0 });
    expect(idle.kv_free_bytes).toBe(idle.kv_capacity_bytes);
    expect(idle.kv_capacity_bytes).toBeGreaterThan(0);

    const first = readStream(post(server.url, LONG));
    await first.started;
    const second = readStream(post(server.url, { ...LONG, max_tokens: 4 }));
    // The second waits for the one batch slot.
    let busy = await (await fetch(`${server.url}/health`)).json();
    for (let i = 0; i < 50 && busy.queue_depth === 0; i++) busy = await (await fetch(`${server.url}/health`)).json();
    expect(busy).toMatchObject({ running_sequences: 1, batch_size: 1, queue_depth: 1 });
    expect(busy.kv_used_bytes).toBeGreaterThan(0);
    expect(busy.kv_free_bytes).toBe(busy.kv_capacity_bytes - busy.kv_used_bytes);
    expect(busy.prefix_cache_bytes).toBeGreaterThan(0);

    const outcome = drainEngine(engine, 60_000, () => {});
    const refused = await post(server.url, { ...LONG, max_tokens: 4 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error).toMatchObject({ code: "engine_draining", type: "server_error" });
    const draining = await fetch(`${server.url}/health`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ ok: false, status: "draining", draining: true });
    expect((await fetch(`${server.url}/health?probe=liveness`)).status).toBe(200);

    // Both held requests finish in full; then the drain ends.
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a).toMatchObject({ finish: "length", errors: [] });
    expect(b).toMatchObject({ finish: "length", errors: [] });
    expect(await outcome).toMatchObject({ finished: true });
  });
});

describe.each(models)("a drain past its deadline ($graph graph)", ({ model }) => {
  it("ends what is left with an engine_draining error frame", async () => {
    const engine = await testEngine(model, { maxBatch: 1, maxQueue: 4 });
    const server = await startTestServer(engine);
    try {
      const running = readStream(post(server.url, LONG));
      const queued = readStream(post(server.url, LONG));
      await running.started;
      while (engine.scheduler.queueDepth === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const outcome = await drainEngine(engine, 50, () => {});
      expect(outcome.finished).toBe(false);
      const [a, b] = await Promise.all([running.done, queued.done]);
      expect(a.errors).toEqual(["engine_draining"]);
      expect(a.finish).toBeNull();
      expect(b.errors).toEqual(["engine_draining"]);
      expect(b.text).toBe("");
    } finally {
      await server.close();
      await engine.release();
    }
  });
});

// Alone, and under the supervisor (the Docker image's command, PID 1 in Kubernetes, whose preStop sends it
// SIGTERM): the drain is the same, and the supervisor does not restart an engine that drained.
describe.each(["container/main.ts", "container/supervisor.ts"])("%s on SIGTERM", (entry) => {
  async function startEngine() {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "--model", model.dir, "--port", "0"], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ENGINE_MAX_BATCH: "1" },
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/engine listening on/.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const url = /engine listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(url, output).toBeDefined();
    return { child, exited, url, output: () => output };
  }

  it("stops at once on a second SIGTERM", async () => {
    const { child, exited, url } = await startEngine();
    const answer = readStream(post(url ?? "", LONG));
    // The connection is cut: the read fails, or ends without a finish.
    const ended = answer.done.catch(() => ({ finish: null }));
    await answer.started;
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect((await ended).finish).not.toBe("length");
  });

  it("finishes the running answer, refuses new ones, then exits 0", async () => {
    const { child, exited, url, output: read } = await startEngine();

    const answer = readStream(post(url ?? "", LONG));
    await answer.started;
    child.kill("SIGTERM");
    let refused: Response | undefined;
    for (let i = 0; i < 100; i++) {
      refused = await post(url ?? "", { ...LONG, max_tokens: 4 });
      if (refused.status === 503) break;
      await refused.body?.cancel();
    }
    expect(refused?.status).toBe(503);
    expect(await answer.done).toMatchObject({ finish: "length", errors: [] });
    expect(await exited).toBe(0);
    expect(read()).toContain("engine: draining");
    expect(read()).not.toMatch(/restarting in/);
    expect(read().match(/engine listening on/g)).toHaveLength(1);
  });
});
