/**
 * Test helpers: a freshly generated demo model in a temp folder, an engine over it, and a
 * helper that runs one generation to completion.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Engine, type EngineOptions, createEngine } from "../../../../container/engine/create-engine";
import type { GenerateRequest } from "../../../../container/engine/batch-scheduler";
import type { FinishReason } from "../../../../container/engine/generation-events";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../../../container/engine/sampling-params";
import { type DemoModelResult, writeDemoModel } from "../../../../container/demo/write-demo-model";

export interface TestModel extends DemoModelResult {
  dir: string;
  cleanup(): void;
}

export function makeTestModel(seed = 5, options: { kvType?: "float32" | "float16"; graph?: "standard" | "fast"; dtype?: "fp32" | "fp16" } = {}): TestModel {
  const root = mkdtempSync(join(tmpdir(), "engine-test-"));
  const dir = join(root, "model");
  const result = writeDemoModel({ outDir: dir, seed, ...options });
  return { ...result, dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function testEngine(model: TestModel, options: Partial<Omit<EngineOptions, "modelDir">> = {}): Promise<Engine> {
  return createEngine({ modelDir: model.dir, executionProvider: "cpu", threads: 1, maxBatch: 8, maxQueue: 16, requestTimeoutMs: 30_000, ...options });
}

export function greedy(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 12, ...overrides };
}

export interface Completed {
  text: string;
  deltas: string[];
  tokenIds: readonly number[];
  finishReason: FinishReason | null;
  error: Error | null;
}

export async function runToEnd(engine: Engine, request: GenerateRequest): Promise<Completed> {
  const completed: Completed = { text: "", deltas: [], tokenIds: [], finishReason: null, error: null };
  for await (const event of engine.scheduler.submit(request)) {
    if (event.type === "text-delta") {
      completed.deltas.push(event.text);
      completed.text += event.text;
    } else if (event.type === "finish") {
      completed.finishReason = event.finishReason;
      completed.tokenIds = event.tokenIds;
    } else completed.error = event.error;
  }
  return completed;
}
