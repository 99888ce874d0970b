/**
 * What `npm start` runs after dependencies are installed: builds the demo
 * model, the search index and the widget, then starts the engine and the edge
 * worker, prints the URLs, and stops everything cleanly on Ctrl-C.
 *
 * Configuration (environment): PORT (8787), ENGINE_PORT (8080),
 * INSPECTOR_PORT (9229), HOST (127.0.0.1), MODEL_DIR (the demo model),
 * ENGINE_URL (use a running OpenAI-compatible server instead of the engine),
 * CORPUS (docs), SEARCH_MODE (always with the demo model, else auto).
 * It also sets up the demo site `demo-docs` over the served corpus, which the
 * demo page's widget answers from (scripts/demo-site.ts, docs/sites.md).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "./build";
import { DEMO_SITE, demoSiteVars, devVar, ensureDemoSite, type DemoSiteOutcome } from "./demo-site";
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
    },
    onLine: (source, line) => process.stdout.write(`[${source}] ${line}\n`),
  });
  // With API_KEYS set (in .dev.vars) the demo site needs one of them here.
  const demoSite = await ensureDemoSite(stack.workerUrl, devVar(ROOT, "API_KEYS")?.split(",")[0]?.trim() || undefined);
  printBanner(stack, usingDemo, searchMode, demoSite);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n[stop] ${signal}: stopping the worker and the engine…\n`);
    await stack.stop();
    process.stdout.write("[stop] all processes stopped.\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  for (const p of stack.processes) {
    void p.exited.then(async (code) => {
      if (stopping) return;
      process.stderr.write(`\n[error] ${p.name} exited unexpectedly (code ${code}); stopping.\n${p.tail()}\n`);
      stopping = true;
      await stack.stop();
      process.exit(1);
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof PortInUseError) {
    process.stderr.write(`\n[error] ${error.message}\n`);
    process.exit(3);
  }
  process.stderr.write(`\n[error] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
