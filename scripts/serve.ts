/**
 * What `npm start` runs after dependencies are installed: builds the demo
 * model, the search index and the widget, then starts the engine and the edge
 * worker, prints the URLs, and stops everything cleanly on Ctrl-C, at any
 * moment (while building and starting too), and when the process that started
 * it is gone (scripts/parent-watch.mjs). The engine is restarted by its
 * supervisor after a crash; if the supervisor gives up, or the worker exits,
 * everything stops.
 *
 * Configuration (environment): PORT (8787), ENGINE_PORT (8080),
 * INSPECTOR_PORT (9229), HOST (127.0.0.1), MODEL_DIR (the demo model),
 * ENGINE_URL (use a running OpenAI-compatible server instead of the engine),
 * CORPUS (docs), SEARCH_MODE (always with the demo model, else auto),
 * MAX_CONCURRENT_CHATS (ENGINE_MAX_BATCH, 8, for our own engine).
 * It also sets up the demo site `demo-docs` over the served corpus, which the
 * demo page's widget answers from (scripts/demo-site.ts, docs/sites.md).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "./build";
import { DEMO_SITE, demoSiteVars, devVar, ensureDemoSite, type DemoSiteOutcome } from "./demo-site";
import { watchParent } from "./parent-watch.mjs";
import { type Managed, stopProcess } from "./processes";
import { assertPortsFree, PortInUseError, startStack, type Stack } from "./stack";

const port = z.coerce.number().int().min(1).max(65535);
const configSchema = z.object({
  PORT: port.default(8787),
  ENGINE_PORT: port.default(8080),
  INSPECTOR_PORT: port.default(9229),
  HOST: z.string().min(1).default("127.0.0.1"),
  MODEL_DIR: z.string().min(1).optional(),
  ENGINE_URL: z.url().optional(),
  CORPUS: z.string().min(1).default("docs"),
  SEARCH_MODE: z.enum(["auto", "always", "never"]).optional(),
});

const DEMO_BANNER = [
  "The bundled demo model has RANDOM weights: its words are noise by design.",
  "It exists to exercise every part of the flow (search, page reading, citations, streaming).",
  "For real answers, serve a converted Megrez-3B folder (MODEL_DIR=…) or point ENGINE_URL at an",
  "OpenAI-compatible server such as vLLM serving Megrez (see README).",
];

function demoSiteLine(outcome: DemoSiteOutcome): string {
  if (!outcome.ok) return `  demo site          not set up: ${outcome.message}`;
  const what = outcome.action === "created" ? "crawling" : "recrawling";
  return `  demo site          ${DEMO_SITE}, ${what} the corpus; the demo page's widget answers from it (GET /api/sites/${DEMO_SITE})`;
}

function printBanner(stack: Stack, usingDemo: boolean, searchMode: string, demoSite: DemoSiteOutcome) {
  const lines = [
    "",
    "megrez-edge is running",
    `  chat widget demo   ${stack.workerUrl}/`,
    `  OpenAI-compatible  ${stack.workerUrl}/v1/chat/completions`,
    `  event stream       ${stack.workerUrl}/api/chat`,
    `  engine             ${stack.engineUrl}/v1  (health: ${stack.engineUrl}/health)`,
    `  search             local index over the shipped corpus, mode ${searchMode}`,
    demoSiteLine(demoSite),
    "",
    `  try: curl -N ${stack.workerUrl}/v1/chat/completions -H 'content-type: application/json' \\`,
    `         -d '{"model":"megrez","stream":true,"messages":[{"role":"user","content":"How does the agent cite sources?"}]}'`,
    "",
    ...(usingDemo ? DEMO_BANNER.map((l) => `  ! ${l}`) : []),
    "  Press Ctrl-C to stop.",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Everything started so far, so a stop during the start stops it too. */
const running: Managed[] = [];
const starting = new AbortController();
let stopping = false;

async function shutdown(why: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    starting.abort();
    process.stdout.write(`\n[stop] ${why}: stopping the worker and the engine…\n`);
    await Promise.all(running.map((managed) => stopProcess(managed)));
    process.stdout.write("[stop] all processes stopped.\n");
    process.exit(code);
  }
  return new Promise<never>(() => undefined);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal, 0));
watchParent((reason) => void shutdown(reason, 1));

/**
 * Our own engine decodes ENGINE_MAX_BATCH (8) sequences at once: admit that many answers and refuse the
 * next with 503 + Retry-After, rather than let them queue into the model deadline (docs/BENCHMARKS.md,
 * "Many chats at once"). MAX_CONCURRENT_CHATS in the environment wins; another server (ENGINE_URL) has
 * its own capacity, so no limit is set for it.
 */
function admissionVars(externalEngineUrl: string | undefined): Record<string, string> {
  const chosen = process.env.MAX_CONCURRENT_CHATS ?? (externalEngineUrl ? undefined : (process.env.ENGINE_MAX_BATCH ?? "8"));
  return chosen === undefined ? {} : { MAX_CONCURRENT_CHATS: chosen };
}

async function main() {
  const parsed = configSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`invalid configuration:\n${z.prettifyError(parsed.error)}\n`);
    process.exit(2);
  }
  const config = parsed.data;
  const usingDemo = !config.MODEL_DIR && !config.ENGINE_URL;
  const modelDir = config.MODEL_DIR ? resolve(config.MODEL_DIR) : DEFAULT_MODEL_DIR;
  const searchMode = config.SEARCH_MODE ?? (usingDemo ? "always" : "auto");

  const ports = { enginePort: config.ENGINE_PORT, workerPort: config.PORT, inspectorPort: config.INSPECTOR_PORT, externalEngineUrl: config.ENGINE_URL };
  await assertPortsFree(ports, config.HOST);

  process.stdout.write("[build] preparing local artifacts\n");
  if (usingDemo) buildDemoModel(modelDir);
  buildAssets(resolve(ROOT, config.CORPUS));

  const persistDir = join(ROOT, ".wrangler", "state");
  mkdirSync(persistDir, { recursive: true });
  process.stdout.write("[start] starting the engine and the edge worker…\n");
  const stack = await startStack({
    root: ROOT,
    modelDir,
    externalEngineUrl: config.ENGINE_URL,
    host: config.HOST,
    enginePort: config.ENGINE_PORT,
    workerPort: config.PORT,
    inspectorPort: config.INSPECTOR_PORT,
    persistDir,
    // The demo model is the Omni variant (vision and audio towers): the widget may offer attachments.
    vars: {
      SEARCH_MODE: searchMode,
      // Your own WIDGET_SITE_KEYS in .dev.vars win over the demo's.
      ...(devVar(ROOT, "WIDGET_SITE_KEYS") === undefined ? demoSiteVars(`http://${config.HOST}:${config.PORT}`) : {}),
      ...(usingDemo ? { ATTACHMENTS: "image,audio" } : {}),
      ...admissionVars(config.ENGINE_URL),
    },
    onLine: (source, line) => process.stdout.write(`[${source}] ${line}\n`),
    signal: starting.signal,
    onStarted: (managed) => running.push(managed),
  });
  // With API_KEYS set (in .dev.vars) the demo site needs one of them here.
  const demoSite = await ensureDemoSite(stack.workerUrl, devVar(ROOT, "API_KEYS")?.split(",")[0]?.trim() || undefined);
  printBanner(stack, usingDemo, searchMode, demoSite);

  for (const p of stack.processes) {
    void p.exited.then((code) => {
      if (stopping) return;
      process.stderr.write(`\n[error] ${p.name} exited unexpectedly (code ${code}); stopping.\n${p.tail()}\n`);
      void shutdown(`${p.name} exited`, 1);
    });
  }
}

main().catch((error: unknown) => {
  if (stopping) return;
  if (error instanceof PortInUseError) {
    process.stderr.write(`\n[error] ${error.message}\n`);
    process.exit(3);
  }
  process.stderr.write(`\n[error] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
