/**
 * Starts the real edge worker under `wrangler dev` without an engine, for the
 * browser tests that only need it to serve `/widget.js` and the demo page.
 * The widget under test is rebuilt first, so the tests exercise this tree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASSETS_DIR, ROOT } from "../../../scripts/build";
import { buildWidget } from "../../../scripts/build-widget";
import { startStack } from "../../../scripts/stack";

export interface RunningWorker {
  workerUrl: string;
  stop(): Promise<void>;
}

export async function startWorkerOnly(input: { workerPort: number; inspectorPort: number; vars?: Record<string, string> }): Promise<RunningWorker> {
  await buildWidget(ASSETS_DIR);
  const stateDir = mkdtempSync(join(tmpdir(), "megrez-widget-"));
  const stack = await startStack({
    root: ROOT,
    modelDir: "",
    // No engine: nothing listens on port 9 (discard); the widget's routes do not need one.
    externalEngineUrl: "http://127.0.0.1:9",
    enginePort: 0,
    workerPort: input.workerPort,
    inspectorPort: input.inspectorPort,
    persistDir: stateDir,
    vars: input.vars,
    onLine: process.env.E2E_VERBOSE ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
  });
  return {
    workerUrl: stack.workerUrl,
    stop: async () => {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
