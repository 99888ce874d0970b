/**
 * The engine pool for real: three engine processes (container/main.ts, the demo model) behind
 * the worker under `wrangler dev` (ENGINE_URLS). The second turn of a session meets the replica
 * that served the first, with prefix-cache hits on that replica's /metrics; killing a replica
 * under load loses no answer that had not started (they are retried on another replica), and
 * the answers it was writing end with an error event, not as finished answers; the replica,
 * started again, is re-admitted by the health probes and serves its sessions again.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSETS_DIR, buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "../../scripts/build";
import { freePort, type Managed, startProcess, stopProcess, waitForUrl } from "../../scripts/processes";
import { type Stack, startStack } from "../../scripts/stack";
import { sessionKey } from "../../workers/pool/affinity-key";
import { rendezvousOrder } from "../../workers/pool/rendezvous";

const REPLICAS = 3;
let engineUrls: string[] = [];
const engines: Managed[] = [];
let stack: Stack | undefined;
let stateDir = "";

function startEngine(index: number): Managed {
  const port = new URL(engineUrls[index] ?? "").port;
  const engine = startProcess({
    name: `engine-${index}`,
    command: process.execPath,
    args: ["--import", "tsx", "container/main.ts", "--model", DEFAULT_MODEL_DIR, "--host", "127.0.0.1", "--port", port],
    cwd: ROOT,
    // One sequence at a time: under load, requests queue on their replica, as on a busy GPU.
    env: { ENGINE_MAX_BATCH: "1" },
    onLine: process.env.E2E_VERBOSE ? (line) => console.log(`[engine-${index}] ${line}`) : undefined,
  });
  engines[index] = engine;
  return engine;
}

beforeAll(async () => {
  buildDemoModel(DEFAULT_MODEL_DIR);
  if (!existsSync(join(ASSETS_DIR, "corpus", "index.json")) || !existsSync(join(ASSETS_DIR, "widget.js"))) buildAssets();
  stateDir = mkdtempSync(join(tmpdir(), "megrez-pool-e2e-"));
  engineUrls = [];
  for (let i = 0; i < REPLICAS; i++) engineUrls.push(`http://127.0.0.1:${await freePort()}`);
  for (let i = 0; i < REPLICAS; i++) startEngine(i);
  await Promise.all(engines.map((engine, i) => waitForUrl(`${engineUrls[i]}/health`, engine, 120_000)));
  stack = await startStack({
    root: ROOT,
    modelDir: DEFAULT_MODEL_DIR,
    externalEngineUrl: engineUrls[0] ?? "",
    enginePort: 0,
    workerPort: await freePort(),
    inspectorPort: await freePort(),
    persistDir: stateDir,
    vars: {
      ENGINE_URLS: engineUrls.join(","),
      SEARCH_MODE: "never",
      ENGINE_POOL_PROBE_MS: "300",
      ENGINE_POOL_EJECT_AFTER: "2",
      ENGINE_POOL_EJECT_MS: "1500",
      RATE_LIMIT_IP_PER_MINUTE: "0",
      // Short answers keep the test quick; queueing (one sequence per engine) supplies the load.
      AGENT_CONFIG: JSON.stringify({ budgets: { chatMaxTokens: 96 } }),
    },
    onLine: process.env.E2E_VERBOSE ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
  });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all(engines.map((engine) => stopProcess(engine)));
  rmSync(stateDir, { recursive: true, force: true });
});

/** A session id whose first replica is `replica` (the same rendezvous order the worker uses). */
function sessionOn(replica: number, tag: string, skip = 0): string {
  let found = 0;
  for (let i = 0; ; i++) {
    const id = `pool-${tag}-${i}`;
    if (rendezvousOrder(sessionKey(id), engineUrls)[0] === engineUrls[replica] && found++ === skip) return id;
  }
}

async function counters(url: string): Promise<{ requests: number; hits: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(/\s(\S+)$/.exec(text.split("\n").find((line) => line.startsWith(`${name}{`)) ?? "")?.[1] ?? Number.NaN);
  return { requests: value("engine_requests_total"), hits: value("engine_prefix_cache_hit_tokens_total") };
}

interface Turn {
  text: string;
  errors: string[];
  finish: string | undefined;
}

/** One /api/chat turn; `onText` fires at the first answer text. */
async function chat(sessionId: string, message: string, onText: () => void = () => {}): Promise<Turn> {
  const res = await fetch(`${stack?.workerUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId, message, search: "never" }),
  });
  expect(res.status).toBe(200);
  const turn: Turn = { text: "", errors: [], finish: undefined };
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const step = await reader?.read();
    if (!step || step.done) break;
    buffer += decoder.decode(step.value, { stream: true });
    const frames = buffer.split("\n\n");
    buffer = frames.pop() ?? "";
    for (const frame of frames) {
      const data = frame
        .split("\n")
        .find((line) => line.startsWith("data:"))
        ?.slice(5)
        .trim();
      if (!data) continue;
      const event = JSON.parse(data) as { type: string; text?: string; code?: string; reason?: string };
      if (event.type === "text-delta") {
        if (turn.text === "") onText();
        turn.text += event.text ?? "";
      }
      if (event.type === "error") turn.errors.push(event.code ?? "");
      if (event.type === "finish") turn.finish = event.reason;
    }
  }
  return turn;
}

describe("three engines behind the worker", () => {
  it("sends a session's second turn to the replica that served its first, which reuses the prefix cache", async () => {
    for (let replica = 0; replica < REPLICAS; replica++) {
      const session = sessionOn(replica, "affinity");
      const before = await Promise.all(engineUrls.map(counters));
      const first = await chat(session, "What does the engine serve?");
      expect(first.errors).toEqual([]);
      const middle = await Promise.all(engineUrls.map(counters));
      const second = await chat(session, "And how does it batch requests?");
      expect(second.errors).toEqual([]);
      const after = await Promise.all(engineUrls.map(counters));
      for (let i = 0; i < REPLICAS; i++) {
        const servedFirst = (middle[i]?.requests ?? 0) - (before[i]?.requests ?? 0);
        const servedSecond = (after[i]?.requests ?? 0) - (middle[i]?.requests ?? 0);
        expect([servedFirst, servedSecond], `replica ${i}, session on ${replica}`).toEqual(i === replica ? [1, 1] : [0, 0]);
      }
      // The engine reuses at least 16 cached tokens or none; the second turn's prompt begins with the first's.
      expect((after[replica]?.hits ?? 0) - (middle[replica]?.hits ?? 0)).toBeGreaterThanOrEqual(16);
    }
  });

  it("loses no answer that had not started when a replica is killed under load, and re-admits it when it is back", async () => {
    const victim = 0;
    // More on the victim, so that some are surely still queued there when it dies.
    const sessions = Array.from({ length: REPLICAS }, (_, replica) =>
      Array.from({ length: replica === victim ? 5 : 3 }, (_, n) => ({ replica, id: sessionOn(replica, "load", n) })),
    ).flat();
    const startedAtKill = new Set<string>();
    let killed = false;
    let markKillable: () => void = () => {};
    const killable = new Promise<void>((resolve) => (markKillable = resolve));
    const started = new Set<string>();
    const turns = sessions.map(({ replica, id }) =>
      chat(id, "Tell me everything about continuous batching.", () => {
        started.add(id);
        if (replica === victim && !killed) markKillable();
      }).then((turn) => ({ replica, id, turn })),
    );
    await killable;
    for (const id of started) startedAtKill.add(id);
    killed = true;
    const pid = engines[victim]?.child.pid;
    if (pid !== undefined) process.kill(-pid, "SIGKILL");
    const results = await Promise.all(turns);

    const notStarted = results.filter(({ id }) => !startedAtKill.has(id));
    // One sequence at a time: at the kill the victim was writing at most one answer. Its first
    // tokens may not have reached the client yet (in flight, or held by the citation rewriter),
    // so "started" as the client saw it can miss it: that one answer may end cut, and says so.
    const cut = notStarted.filter(({ turn }) => turn.errors.length > 0);
    expect(cut.length, JSON.stringify(cut)).toBeLessThanOrEqual(1);
    for (const { id, replica, turn } of cut) {
      expect(replica, id).toBe(victim);
      expect(turn.errors, id).toEqual(["model-interrupted"]);
      expect(turn.finish, id).toBe("error");
    }
    // Every other answer that had not started finishes: those queued on the victim were retried.
    // (The demo model's random weights may end an answer at once: finished, but empty.)
    for (const { id, turn } of notStarted.filter((result) => !cut.includes(result))) {
      expect(turn.errors, id).toEqual([]);
      expect(["stop", "length"], id).toContain(turn.finish);
    }
    // The test means something only if some answers on the victim were still waiting.
    expect(notStarted.filter(({ replica, turn }) => replica === victim && turn.errors.length === 0).length).toBeGreaterThan(0);
    // An answer the victim was writing either finished before the kill or ends as a failure.
    for (const { id, turn } of results.filter(({ id }) => startedAtKill.has(id))) {
      if (turn.finish === "error") expect(turn.errors.length, id).toBeGreaterThan(0);
      else expect(turn.errors, id).toEqual([]);
    }

    // Back on the same port: the probes re-admit it, and its sessions return to it.
    startEngine(victim);
    await waitForUrl(`${engineUrls[victim]}/health`, engines[victim] as Managed, 120_000);
    const session = sessionOn(victim, "readmit");
    const deadline = Date.now() + 30_000;
    let served = false;
    while (!served && Date.now() < deadline) {
      const before = await counters(engineUrls[victim] ?? "");
      const turn = await chat(session, "Are you back?");
      expect(turn.errors).toEqual([]);
      served = (await counters(engineUrls[victim] ?? "")).requests > before.requests;
      if (!served) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(served).toBe(true);
  });
});
