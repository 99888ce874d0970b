/**
 * Starts the real product for the browser tests: the engine serving the demo
 * model and `wrangler dev` wired to it (scripts/stack.ts, what `npm start`
 * runs), on this suite's fixed ports. As under `npm start` no API key is set
 * (open mode) and the demo page's key `demo` is not configured, so the worker
 * accepts it; the site key `customer` is configured and bound to the test's
 * embedding sites, so those requests go through the real site-key checks. The widget is rebuilt first so the tests exercise
 * this tree; the model and search index are built when missing.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASSETS_DIR, buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "../../../scripts/build";
import { buildWidget } from "../../../scripts/build-widget";
import { startStack, type Stack } from "../../../scripts/stack";

export async function startRealStack(input: {
  enginePort: number;
  workerPort: number;
  inspectorPort: number;
  /** Origins allowed to use the `customer` site key (sites that embed the widget). */
  embeddingOrigins: string[];
}): Promise<Stack> {
  buildDemoModel(DEFAULT_MODEL_DIR);
  if (!existsSync(join(ASSETS_DIR, "corpus", "index.json")) && existsSync(join(ROOT, "scripts", "build-index.ts"))) buildAssets();
  await buildWidget(ASSETS_DIR);
  const stateDir = mkdtempSync(join(tmpdir(), "megrez-widget-stack-"));
  const stack = await startStack({
    root: ROOT,
    modelDir: DEFAULT_MODEL_DIR,
    enginePort: input.enginePort,
    workerPort: input.workerPort,
    inspectorPort: input.inspectorPort,
    persistDir: stateDir,
    vars: {
      SEARCH_MODE: "always",
      WIDGET_SITE_KEYS: JSON.stringify({ customer: { origins: input.embeddingOrigins, rateLimitPerMinute: 120 } }),
    },
    onLine: process.env.E2E_VERBOSE ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
  });
  return {
    ...stack,
    stop: async () => {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
