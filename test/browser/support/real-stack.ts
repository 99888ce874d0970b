/**
 * Starts the real product for the browser tests: the engine serving the demo
 * model and `wrangler dev` wired to it (scripts/stack.ts, what `npm start`
 * runs), on this suite's fixed ports, with the demo page's site key bound to
 * the worker's own origin and to the test's embedding sites. The widget is rebuilt first so the tests exercise
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
  /** More origins allowed to use the `demo` site key (sites that embed the widget). */
  embeddingOrigins: string[];
}): Promise<Stack> {
  buildDemoModel(DEFAULT_MODEL_DIR);
  if (!existsSync(join(ASSETS_DIR, "corpus", "index.json")) && existsSync(join(ROOT, "scripts", "build-index.ts"))) buildAssets();
  await buildWidget(ASSETS_DIR);
  const stateDir = mkdtempSync(join(tmpdir(), "megrez-widget-stack-"));
  const workerOrigin = `http://127.0.0.1:${input.workerPort}`;
  const stack = await startStack({
    root: ROOT,
    modelDir: DEFAULT_MODEL_DIR,
    enginePort: input.enginePort,
    workerPort: input.workerPort,
    inspectorPort: input.inspectorPort,
    persistDir: stateDir,
    vars: {
      SEARCH_MODE: "always",
      WIDGET_SITE_KEYS: JSON.stringify({ demo: { origins: [workerOrigin, ...input.embeddingOrigins], rateLimitPerMinute: 120 } }),
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
