/**
 * Many chats at once on the demo stack, as users would start them: the real engine serving the demo
 * model (8 decode slots), `wrangler dev` in front of it, the local search over the shipped corpus in
 * mode `always` (every chat searches, reads pages, summarizes them and answers). For each level of
 * concurrency it starts that many `POST /api/chat` at the same moment, each in its own session, and
 * reports how many finished, how many ended with a truthful error (an `error` event and
 * `finish: error`, or a refusal before any work: HTTP 429/503 with Retry-After), how many never ended
 * (hung past the client's limit), and p50/p95 of the time to the finish event and to the first
 * answer text of the finished ones.
 *
 * `--capacity N` sets the worker's MAX_CONCURRENT_CHATS (admission by capacity; 0 = off, every chat
 * admitted and left to queue in the engine). With `--retry`, a refused client waits its Retry-After and
 * asks again (as the widget's Retry button or an SDK's retry would) until its limit: then the finish
 * times include the waiting, and "refused" counts only clients that never got in.
 *
 *   npx tsx bench/worker/concurrent-chats.ts [--levels 20,50] [--capacity 0] [--limit-s 240]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseSSEEvents } from "../../agent/event-stream";
import { ASSETS_DIR, buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "../../scripts/build";
import { freePort } from "../../scripts/processes";
import { startStack } from "../../scripts/stack";

const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "20,50" },
    capacity: { type: "string", default: "0" },
    retry: { type: "boolean", default: false },
    "limit-s": { type: "string", default: "240" },
  },
});
const LEVELS = values.levels.split(",").map(Number);
const LIMIT_MS = Number(values["limit-s"]) * 1000;

const QUESTIONS = [
  "How does the agent cite sources?",
  "What does the page fetcher refuse?",
  "How are event ids numbered in a session?",
  "How does the engine batch requests?",
  "What do scheduled digests send to a webhook?",
  "How is the widget embedded on a page?",
  "Which search providers can the worker use?",
  "What happens when the engine queue is full?",
];

type Outcome =
  | { kind: "finished"; totalMs: number; firstTextMs: number | undefined; queuedSeen: boolean }
  | { kind: "failed"; code: string; totalMs: number; queuedSeen: boolean }
  | { kind: "refused"; status: number; retryAfter: string | null; totalMs: number }
  | { kind: "hung"; totalMs: number; lastEvent: string }
  | { kind: "broken"; detail: string; totalMs: number };

/** One user's chat; with --retry, asked again after each refusal's Retry-After while time remains. */
async function chat(base: string, index: number): Promise<Outcome> {
  const started = performance.now();
  for (;;) {
    const outcome = await chatOnce(base, index, started);
    if (outcome.kind !== "refused" || !values.retry) return outcome;
    const waitMs = Number(outcome.retryAfter ?? "1") * 1000;
    if (performance.now() - started + waitMs >= LIMIT_MS) return outcome;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

async function chatOnce(base: string, index: number, started: number): Promise<Outcome> {
  const elapsed = () => performance.now() - started;
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(LIMIT_MS - elapsed())));
  let lastEvent = "none";
  try {
    const response = await fetch(`${base}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId: `bench-load-${Date.now()}-${index}`, message: QUESTIONS[index % QUESTIONS.length] }),
      signal,
    });
    if (response.status === 429 || response.status === 503) {
      await response.body?.cancel();
      return { kind: "refused", status: response.status, retryAfter: response.headers.get("retry-after"), totalMs: elapsed() };
    }
    if (!response.ok || !response.body)
      return { kind: "broken", detail: `HTTP ${response.status}: ${(await response.text()).slice(0, 120)}`, totalMs: elapsed() };
    let firstTextMs: number | undefined;
    let error: string | undefined;
    let queuedSeen = false;
    for await (const { event } of parseSSEEvents(response.body)) {
      lastEvent = event.type === "status" ? `status:${event.stage}` : event.type;
      if (event.type === "status" && (event.stage as string) === "queued") queuedSeen = true;
      if (event.type === "text-delta" && firstTextMs === undefined) firstTextMs = elapsed();
      if (event.type === "error") error = event.code;
      if (event.type === "finish") {
        if (event.reason === "error") return { kind: "failed", code: error ?? "unknown", totalMs: elapsed(), queuedSeen };
        return { kind: "finished", totalMs: elapsed(), firstTextMs, queuedSeen };
      }
    }
    return { kind: "broken", detail: `stream ended without a finish event after ${lastEvent}`, totalMs: elapsed() };
  } catch (cause) {
    if (signal.aborted) return { kind: "hung", totalMs: elapsed(), lastEvent };
    return { kind: "broken", detail: cause instanceof Error ? cause.message : String(cause), totalMs: elapsed() };
  }
}

function percentile(values: number[], p: number): string {
  if (values.length === 0) return "—";
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! / 1000).toFixed(1);
}

function summarize(level: number, outcomes: Outcome[], wallMs: number): string {
  const of = <K extends Outcome["kind"]>(kind: K) => outcomes.filter((outcome): outcome is Extract<Outcome, { kind: K }> => outcome.kind === kind);
  const finished = of("finished");
  const failed = of("failed");
  const refused = of("refused");
  const codes = [...new Set(failed.map((outcome) => outcome.code))].map((code) => `${code} ×${failed.filter((f) => f.code === code).length}`).join(", ");
  const refusedWithRetry = refused.filter((outcome) => outcome.retryAfter !== null).length;
  const queued = [...finished, ...failed].filter((outcome) => outcome.queuedSeen).length;
  return [
    `| ${level}`,
    `${finished.length}`,
    `${failed.length}${codes ? ` (${codes})` : ""}`,
    `${refused.length}${
      refused.length
        ? ` (${refusedWithRetry} with Retry-After, answered in p95 ${percentile(
            refused.map((r) => r.totalMs),
            95,
          )} s)`
        : ""
    }`,
    `${of("hung").length + of("broken").length}`,
    `${percentile(
      finished.map((f) => f.totalMs),
      50,
    )} / ${percentile(
      finished.map((f) => f.totalMs),
      95,
    )}`,
    `${percentile(
      finished.flatMap((f) => (f.firstTextMs === undefined ? [] : [f.firstTextMs])),
      50,
    )} / ${percentile(
      finished.flatMap((f) => (f.firstTextMs === undefined ? [] : [f.firstTextMs])),
      95,
    )}`,
    `${queued}`,
    `${(wallMs / 1000).toFixed(0)} |`,
  ].join(" | ");
}

async function main(): Promise<void> {
  buildDemoModel(DEFAULT_MODEL_DIR);
  buildAssets();
  const stateDir = mkdtempSync(join(tmpdir(), "megrez-bench-load-"));
  const stack = await startStack({
    root: ROOT,
    modelDir: DEFAULT_MODEL_DIR,
    enginePort: await freePort(),
    workerPort: await freePort(),
    inspectorPort: await freePort(),
    persistDir: stateDir,
    vars: { SEARCH_MODE: "always", RATE_LIMIT_IP_PER_MINUTE: "0", RATE_LIMIT_KEY_PER_MINUTE: "0", MAX_CONCURRENT_CHATS: values.capacity },
    onLine: process.env.BENCH_VERBOSE ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
  });
  const rows: string[] = [];
  try {
    // One chat first, so the model and the index are warm.
    const warm = await chat(stack.workerUrl, 0);
    console.log(`warm-up chat: ${warm.kind}, ${(warm.totalMs / 1000).toFixed(1)} s`);
    for (const level of LEVELS) {
      const started = performance.now();
      const outcomes = await Promise.all(Array.from({ length: level }, (_, index) => chat(stack.workerUrl, index)));
      rows.push(summarize(level, outcomes, performance.now() - started));
      for (const outcome of outcomes) if (outcome.kind === "broken" || outcome.kind === "hung") console.log(`  ${JSON.stringify(outcome)}`);
      console.log(rows.at(-1));
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  } finally {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  console.log(
    `\nMAX_CONCURRENT_CHATS=${values.capacity}${values.retry ? ", refused clients retry after Retry-After" : ""}; assets: ${ASSETS_DIR}; client limit ${LIMIT_MS / 1000} s per chat`,
  );
  console.log(
    "| concurrent chats | finished | failed with an error event | refused before work (429/503) | hung or broken | finish p50 / p95 s | first text p50 / p95 s | saw queue position | wall s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
}

await main();
