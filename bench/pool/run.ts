/**
 * bench/pool: the worker's engine pool — the code the worker runs (workers/pool/, behind the
 * agent's real model client) — in front of simulated engines on loopback (sim-engine.ts: a
 * fixed cost per prompt token not in the prefix cache, per output token, and a batch limit).
 * 1. Multi-turn sessions with affinity routing (the session key) against random routing (a
 *    random key per request): how many follow-up turns find their conversation in the prefix
 *    cache, and their time to first token.
 * 2. Aggregate throughput with 1, 2 and 4 replicas, each offered the same load per replica.
 * 3. A replica killed mid-run: answers lost before their first token (retried elsewhere, so
 *    the goal is 0) and answers cut mid-stream (which end in a typed error).
 * Usage: npx tsx bench/pool/run.ts [--quick] [--spill-at N] [--only affinity|scaling|kill]
 */
import { spawn } from "node:child_process";
import { createHttpModelClient, type ModelClient } from "../../agent/model-client";
import { EnginePool } from "../../workers/pool/engine-pool";
import { createPoolFetch } from "../../workers/pool/pool-fetch";
import { DEFAULT_POOL_SETTINGS, type PoolSettings } from "../../workers/pool/replica-health";
import { NO_SHARED_STORE } from "../../workers/pool/shared-pool-state";
import type { SimEngineOptions } from "./sim-engine";

const quick = process.argv.includes("--quick");
const ENGINE: SimEngineOptions = { maxBatch: 8, prefillMs: 0.4, decodeMs: 8, cacheEntries: 64 };
const spillFlag = process.argv.indexOf("--spill-at");
const SETTINGS: PoolSettings = {
  ...DEFAULT_POOL_SETTINGS,
  ejectMs: 5_000,
  probeMs: 250,
  ...(spillFlag > 0 ? { spillAt: Number(process.argv[spillFlag + 1]) } : {}),
};
const ANSWER_TOKENS = 24;
const USER_WORDS = 80;
const TURNS = 5;
const SYSTEM = Array.from({ length: 200 }, (_, i) => `sys${i}`).join(" ");

let poolCount = 0;

interface Cluster {
  urls: string[];
  client(key: string): ModelClient;
  /** A client pinned to replica `index`, no pool: the harness's own ceiling. */
  direct(index: number): ModelClient;
  /** Cached prompt tokens of the request tagged `tag`, on whichever replica served it. */
  cached(tag: string): Promise<number>;
  kill(index: number): void;
  close(): Promise<void>;
}

/** `replicas` simulated engines in a child process, and a pool in front of them. */
async function cluster(replicas: number): Promise<Cluster> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/pool/sim-engine.ts", JSON.stringify(ENGINE), String(replicas)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const urls = await new Promise<string[]>((resolve, reject) => {
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      output += text;
      const line = /^ready (.+)$/m.exec(output);
      if (line?.[1]) resolve(line[1].trim().split(" "));
    });
    child.once("exit", (code) => reject(new Error(`simulated engines exited (${code})`)));
  });
  const pool = new EnginePool(`bench-${poolCount++}`, SETTINGS);
  const targets = urls.map((url) => ({ id: url, fetch: (path: string, init: RequestInit) => fetch(`${url}${path}`, init) }));
  return {
    urls,
    client: (key) =>
      createHttpModelClient({
        baseUrl: "http://engine.pool/v1",
        model: "sim",
        fetch: createPoolFetch({ pool, replicas: targets, key, store: NO_SHARED_STORE, waitUntil: (p) => void p.catch(() => undefined) }),
        timeoutMs: 60_000,
      }),
    direct: (index) =>
      createHttpModelClient({ baseUrl: `${urls[index % urls.length]}/v1`, model: "sim", fetch: (input, init) => fetch(input, init), timeoutMs: 60_000 }),
    cached: async (tag) => {
      for (const url of urls) {
        const found = await fetch(`${url}/bench/cached/${encodeURIComponent(tag)}`)
          .then((res) => res.json() as Promise<{ cached: number | null }>)
          .catch(() => ({ cached: null }));
        if (found.cached !== null) return found.cached;
      }
      return 0;
    },
    kill: (index) => child.stdin.write(`kill ${index}\n`),
    close: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

type Outcome = { kind: "ok"; ttftMs: number; tokens: number } | { kind: "lost" } | { kind: "cut"; tokens: number };

async function ask(client: ModelClient, messages: { role: string; content: string }[]): Promise<Outcome> {
  const started = performance.now();
  let ttftMs: number | null = null;
  let tokens = 0;
  try {
    for await (const part of client.streamChat({ messages, maxTokens: ANSWER_TOKENS, temperature: 0 })) {
      if (part.type !== "text-delta") continue;
      ttftMs ??= performance.now() - started;
      tokens += part.text.split(" ").length - 1;
    }
    return { kind: "ok", ttftMs: ttftMs ?? performance.now() - started, tokens };
  } catch {
    return ttftMs === null ? { kind: "lost" } : { kind: "cut", tokens };
  }
}

function userMessage(tag: string, session: number): string {
  return `${tag} ${Array.from({ length: USER_WORDS - 1 }, (_, i) => `s${session}w${i}`).join(" ")}`;
}

/** One session's turns, each resending the whole conversation; `key` picks the routing. */
async function session(
  c: Cluster,
  id: number,
  routing: "affinity" | "random",
  onTurn: (turn: number, tag: string, outcome: Outcome, prompt: number) => void,
): Promise<void> {
  const messages = [{ role: "system", content: SYSTEM }];
  let prompt = 0;
  for (let turn = 0; turn < TURNS; turn++) {
    const tag = `q-${routing}-${id}-${turn}`;
    messages.push({ role: "user", content: userMessage(tag, id) });
    const key = routing === "affinity" ? `session:${id}` : `random:${Math.random()}`;
    const outcome = await ask(c.client(key), messages);
    onTurn(turn, tag, outcome, prompt);
    prompt = messages.reduce((sum, message) => sum + 1 + message.content.split(" ").length, 0);
    messages.push({ role: "assistant", content: Array.from({ length: ANSWER_TOKENS }, (_, i) => `a${id}-${turn}-${i}`).join(" ") });
  }
}

async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function affinityVersusRandom(): Promise<void> {
  const replicas = 4;
  const sessions = quick ? 24 : 48;
  console.log(`\n## 1. Multi-turn sessions, ${replicas} replicas: affinity vs random routing`);
  console.log(
    `${sessions} sessions x ${TURNS} turns, 16 sessions at a time; system prompt 200 tokens, +${USER_WORDS} user and ${ANSWER_TOKENS} answer tokens per turn`,
  );
  // Warm-up on a throwaway cluster (JIT, connections), so neither routing pays it.
  const warm = await cluster(replicas);
  await inParallel(16, 16, (id) => session(warm, id, "random", () => {}));
  await warm.close();
  console.log("| routing | follow-ups finding their conversation cached | cached share of follow-up prompt tokens | follow-up TTFT mean | p50 | p95 |");
  console.log("|---|---|---|---|---|---|");
  // Interleaved repeats (affinity, random, affinity, …): load noise falls on both alike.
  const repeats = quick ? 1 : 3;
  const results = { affinity: new RoutingResult(), random: new RoutingResult() };
  for (let r = 0; r < repeats; r++) {
    for (const routing of ["affinity", "random"] as const) {
      const c = await cluster(replicas);
      const followUps: { tag: string; ttft: number; prompt: number }[] = [];
      await inParallel(sessions, 16, (id) =>
        session(c, id, routing, (turn, tag, outcome, prompt) => {
          if (outcome.kind !== "ok") results[routing].failed += 1;
          else if (turn > 0) followUps.push({ tag, ttft: outcome.ttftMs, prompt });
        }),
      );
      for (const { tag, ttft, prompt } of followUps) results[routing].add(ttft, prompt + USER_WORDS + 1, prompt, await c.cached(tag));
      await c.close();
    }
  }
  for (const routing of ["affinity", "random"] as const) console.log(results[routing].row(routing));
}

class RoutingResult {
  ttfts: number[] = [];
  found = 0;
  cachedTokens = 0;
  promptTokens = 0;
  failed = 0;

  /** One follow-up turn: its TTFT, prompt length, the previous turn's prompt length, and what the engine found cached. */
  add(ttft: number, prompt: number, previousPrompt: number, cached: number): void {
    this.ttfts.push(ttft);
    if (cached >= previousPrompt) this.found += 1;
    this.cachedTokens += cached;
    this.promptTokens += prompt;
  }

  row(routing: string): string {
    const n = this.ttfts.length;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    return `| ${routing} | ${pct(this.found / n)} (${this.found}/${n}) | ${pct(this.cachedTokens / this.promptTokens)} | ${mean(this.ttfts).toFixed(0)} ms | ${percentile(this.ttfts, 0.5).toFixed(0)} ms | ${percentile(this.ttfts, 0.95).toFixed(0)} ms |${this.failed > 0 ? ` (${this.failed} failed)` : ""}`;
  }
}

/** Closed loop: `clients` sessions, each asking turn after turn until the time is up. */
async function offered(
  c: Cluster,
  clients: number,
  ms: number,
  onOutcome: (outcome: Outcome) => void = () => {},
  pinned = false,
): Promise<{ tokens: number; requests: number; elapsed: number }> {
  const started = performance.now();
  const until = started + ms;
  let tokens = 0;
  let requests = 0;
  let sessionId = 1_000;
  await Promise.all(
    Array.from({ length: clients }, async (_, index) => {
      while (performance.now() < until) {
        const id = sessionId++;
        const messages = [{ role: "system", content: SYSTEM }];
        for (let turn = 0; turn < TURNS && performance.now() < until; turn++) {
          messages.push({ role: "user", content: userMessage(`q-load-${id}-${turn}`, id) });
          const outcome = await ask(pinned ? c.direct(index) : c.client(`session:${id}`), messages);
          onOutcome(outcome);
          requests += 1;
          if (outcome.kind !== "lost") tokens += outcome.tokens;
          messages.push({ role: "assistant", content: Array.from({ length: ANSWER_TOKENS }, (_, i) => `a${i}`).join(" ") });
        }
      }
    }),
  );
  return { tokens, requests, elapsed: (performance.now() - started) / 1000 };
}

async function scaling(): Promise<void> {
  const ms = quick ? 4_000 : 10_000;
  const perReplica = 2 * ENGINE.maxBatch;
  console.log(`\n## 2. Aggregate throughput, ${perReplica} concurrent sessions per replica (batch ${ENGINE.maxBatch}), ${ms / 1000} s each`);
  console.log("| replicas | answer tokens/s through the pool | vs linear (N x 1 replica) | pinned clients, no pool (harness ceiling) | pool / pinned |");
  console.log("|---|---|---|---|---|");
  let single = 0;
  for (const replicas of [1, 2, 4]) {
    const c = await cluster(replicas);
    await offered(c, perReplica * replicas, ms / 5); // warm-up: JIT, connections, caches
    // Pinned: client i always on replica i mod N, perfectly balanced, no routing at all.
    const pinned = await offered(c, perReplica * replicas, ms, () => {}, true);
    const run = await offered(c, perReplica * replicas, ms);
    const rate = run.tokens / run.elapsed;
    const ceiling = pinned.tokens / pinned.elapsed;
    if (replicas === 1) single = rate;
    console.log(`| ${replicas} | ${rate.toFixed(0)} | ${(rate / (single * replicas)).toFixed(2)}x | ${ceiling.toFixed(0)} | ${(rate / ceiling).toFixed(2)}x |`);
    await c.close();
  }
}

async function killOne(): Promise<void> {
  const replicas = 3;
  const ms = quick ? 4_000 : 8_000;
  const clients = 2 * ENGINE.maxBatch * replicas;
  console.log(`\n## 3. One of ${replicas} replicas killed ${ms / 4000} s into a ${ms / 1000} s run (${clients} concurrent sessions)`);
  const c = await cluster(replicas);
  const counts = { ok: 0, lost: 0, cut: 0 };
  setTimeout(() => c.kill(0), ms / 4);
  await offered(c, clients, ms, (outcome) => {
    counts[outcome.kind] += 1;
  });
  console.log("| answers completed | lost before their first token | cut mid-answer (ended with an error) |");
  console.log("|---|---|---|");
  console.log(`| ${counts.ok} | ${counts.lost} | ${counts.cut} |`);
  await c.close();
}

console.log(
  `bench/pool: simulated engines (batch ${ENGINE.maxBatch}, prefill ${ENGINE.prefillMs} ms per uncached prompt token, decode ${ENGINE.decodeMs} ms per token, prefix cache ${ENGINE.cacheEntries} prompts); pool spillAt ${SETTINGS.spillAt}, probes every ${SETTINGS.probeMs} ms`,
);
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (!only || only === "affinity") await affinityVersusRandom();
if (!only || only === "scaling") await scaling();
if (!only || only === "kill") await killOne();
