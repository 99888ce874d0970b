/**
 * Starts the real product for end-to-end and browser tests: the engine
 * process serving the demo model and `wrangler dev` wired to it, on free
 * loopback ports, with a throw-away state folder. Always stop() in afterAll.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASSETS_DIR, buildAssets, buildDemoModel, DEFAULT_MODEL_DIR, ROOT } from "../../scripts/build";
import { freePort } from "../../scripts/processes";
import { startStack, type Stack } from "../../scripts/stack";

export interface TestStack extends Stack {
  stateDir: string;
}

/**
 * `vars` may depend on the worker's URL (known once the ports are picked).
 * @param options.externalEngineUrl an OpenAI-compatible server to wire the worker to instead of starting
 *   the engine (the client-recipe tests use a scripted one, since the demo model's random weights never cite).
 */
export async function startTestStack(
  vars: Record<string, string> | ((workerUrl: string) => Record<string, string>) = {},
  options: { externalEngineUrl?: string } = {},
): Promise<TestStack> {
  if (!options.externalEngineUrl) buildDemoModel(DEFAULT_MODEL_DIR);
  if (!existsSync(join(ASSETS_DIR, "corpus", "index.json")) || !existsSync(join(ASSETS_DIR, "widget.js"))) buildAssets();
  const stateDir = mkdtempSync(join(tmpdir(), "megrez-e2e-"));
  const [enginePort, workerPort, inspectorPort] = [await freePort(), await freePort(), await freePort()];
  const stack = await startStack({
    root: ROOT,
    modelDir: DEFAULT_MODEL_DIR,
    enginePort,
    workerPort,
    inspectorPort,
    persistDir: stateDir,
    vars: typeof vars === "function" ? vars(`http://127.0.0.1:${workerPort}`) : vars,
    ...(options.externalEngineUrl ? { externalEngineUrl: options.externalEngineUrl } : {}),
    onLine: process.env.E2E_VERBOSE ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
  });
  return {
    ...stack,
    stateDir,
    stop: async () => {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
