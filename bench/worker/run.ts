/**
 * The edge worker's own overhead per request: its latency minus the
 * backend's, at 20 concurrent requests. The backend is a loopback model with
 * a fixed answer time (fake-model.ts); the worker is the real bundle under
 * `wrangler dev` (workerd), search off so only the model is on the path.
 * Measured three ways: the model called directly (the backends' sum),
 * `POST /v1/chat/completions` and `POST /api/chat` (which also records the
 * turn in the session's Durable Object).
 *
 *   npx tsx bench/worker/run.ts [--requests 200] [--concurrency 20]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startProcess, stopProcess, waitForUrl } from "../../scripts/processes";
import { WRANGLER_QUIET_ENV } from "../../scripts/stack";
import { startFakeModel } from "./fake-model";

const ROOT = join(import.meta.dirname, "..", "..");
const { values } = parseArgs({ options: { requests: { type: "string", default: "200" }, concurrency: { type: "string", default: "20" } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `total` calls of `once` with `concurrency` in flight; returns sorted latencies in ms. */
async function load(total: number, concurrency: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        await once(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

async function drain(res: Response): Promise<void> {
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  await res.arrayBuffer();
}

/** Bundles the worker once so `wrangler dev` does not rebuild when files change meanwhile. */
function bundleWorker(dir: string): string {
  const build = spawnSync(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir], {
    cwd: ROOT,
    env: { ...process.env, ...WRANGLER_QUIET_ENV },
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`bundling failed:\n${build.stdout}\n${build.stderr}`);
  const config = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
    .replace(/^main = .*$/m, `main = "${join(dir, "index.js")}"`)
    .replace(/directory = "\.\/dist\/assets"/, `directory = "${join(ROOT, "dist/assets")}"`);
  const configPath = join(dir, "wrangler.toml");
  writeFileSync(configPath, config);
  return configPath;
}

async function main(): Promise<void> {
  const model = await startFakeModel({ ttftMs: 100, perTokenMs: 10, tokens: 20 });
  const dir = mkdtempSync(join(tmpdir(), "megrez-bench-worker-"));
  const [port, inspector] = [await freePort(), await freePort()];
  const vars = { ENGINE_URL: model.url, RATE_LIMIT_IP_PER_MINUTE: "0", RATE_LIMIT_KEY_PER_MINUTE: "0", KEEP_ALIVE_MS: "0", SEARCH_MODE: "never" };
  const worker = startProcess({
    name: "worker",
    command: process.execPath,
    args: [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "-c",
      bundleWorker(dir),
      "--no-bundle",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      join(dir, "state"),
      "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    cwd: ROOT,
    env: WRANGLER_QUIET_ENV,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForUrl(`${base}/health`, worker, 120_000);
    const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const messages = [{ role: "user", content: "How fast is the edge worker?" }];
    const models = () => fetch(`${base}/v1/models`).then(drain);
    const direct = () => fetch(`${model.url}/v1/chat/completions`, json({ model: "megrez", messages, stream: true })).then(drain);
    const completions = () => fetch(`${base}/v1/chat/completions`, json({ model: "megrez", messages })).then(drain);
    const chat = (i: number) => fetch(`${base}/api/chat`, json({ sessionId: `bench-session-${i}-${Date.now()}`, message: messages[0]!.content })).then(drain);

    await load(20, 5, completions);
    await load(20, 5, chat);
    const rows: [string, number[]][] = [
      ["model called directly", await load(REQUESTS, CONCURRENCY, direct)],
      ["GET /v1/models (no model call: the dev server's floor)", await load(REQUESTS, CONCURRENCY, models)],
      ["POST /v1/chat/completions", await load(REQUESTS, CONCURRENCY, completions)],
      ["POST /api/chat (+ session DO)", await load(REQUESTS, CONCURRENCY, chat)],
    ];
    const [, baseline] = rows[0]!;
    console.log(`${REQUESTS} requests, ${CONCURRENCY} concurrent; model answer ${model.expectedMs} ms (ttft 100 ms + 19 × 10 ms)`);
    console.log("| path | p50 ms | p95 ms | overhead p50 ms | overhead p95 ms |");
    console.log("|---|---|---|---|---|");
    for (const [name, latencies] of rows) {
      const [p50, p95] = [percentile(latencies, 50), percentile(latencies, 95)];
      const over = (p: number, v: number) => (latencies === baseline || name.startsWith("GET") ? "—" : (v - percentile(baseline, p)).toFixed(1));
      console.log(`| ${name} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${over(50, p50)} | ${over(95, p95)} |`);
    }
  } finally {
    await stopProcess(worker);
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
