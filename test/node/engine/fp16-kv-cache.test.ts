/**
 * A decoder built with a float16 KV cache (`kvType: "float16"`, `convert.ts --kv-dtype fp16`):
 * the graph declares float16 past/present, the engine reads the type from the session and
 * keeps the cache as float16 bits, logits stay close to the float32-cache model with the same
 * weights, and batching (padding, joins) still gives each request exactly its tokens alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { type EngineTensor, int64Tensor } from "../../../container/runtime/inference-session";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { greedy, makeTestModel, runToEnd, testEngine, type TestModel } from "./support/test-engine";

const half = makeTestModel(23, { kvType: "float16" });
const full = makeTestModel(23);
let engine: Engine;
let prompts: number[][];
beforeAll(async () => {
  engine = await testEngine(half);
  prompts = ["hi", "介绍一下无问芯穹", "The quick brown fox jumps over the lazy dog and keeps running"].map((content) =>
    engine.codec.encodeChat([{ role: "user", content }], true),
  );
});
afterAll(async () => {
  await engine.release();
  half.cleanup();
  full.cleanup();
});

/** Prefill then `steps` greedy decode steps on the raw decoder; returns every step's logits. */
async function rawLogits(model: TestModel, promptIds: readonly number[], steps: number): Promise<{ logits: Float32Array[]; presentType: string }> {
  const session = await createInferenceSession(`${model.dir}/onnx/model.onnx`, { executionProvider: "cpu", threads: 1 });
  const kvType = session.inputs.find((input) => input.name === "past_key_values.0.key")?.type ?? "missing";
  const { numLayers, numKvHeads, headDim } = model.dims;
  let past: Record<string, EngineTensor> = {};
  for (let layer = 0; layer < numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      const dims = [1, numKvHeads, 0, headDim];
      past[`past_key_values.${layer}.${kind}`] =
        kvType === "float16" ? { type: "float16", data: new Uint16Array(0), dims } : { type: "float32", data: new Float32Array(0), dims };
    }
  }
  let ids = [...promptIds];
  let position = 0;
  const logits: Float32Array[] = [];
  let presentType = "";
  for (let step = 0; step <= steps; step++) {
    const total = position + ids.length;
    const outputs = await session.run({
      ...past,
      input_ids: int64Tensor(ids, [1, ids.length]),
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      position_ids: int64Tensor(
        ids.map((_, index) => position + index),
        [1, ids.length],
      ),
      num_logits_to_keep: int64Tensor([1], []),
    });
    const stepLogits = outputs.logits;
    if (stepLogits?.type !== "float32") throw new Error("no float32 logits");
    logits.push(stepLogits.data);
    presentType = outputs["present.0.key"]?.type ?? "missing";
    let best = 0;
    for (let index = 1; index < stepLogits.data.length; index++) if ((stepLogits.data[index] ?? 0) > (stepLogits.data[best] ?? 0)) best = index;
    ids = [best];
    position = total;
    past = {};
    for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith("present.")) past[name.replace("present.", "past_key_values.")] = tensor;
  }
  await session.release();
  return { logits, presentType };
}

describe("float16 KV cache", () => {
  it("declares float16 past/present and stays within float16 rounding of the float32 cache", async () => {
    const promptIds = prompts[2] ?? [];
    const halfRun = await rawLogits(half, promptIds, 6);
    const fullRun = await rawLogits(full, promptIds, 6);
    expect(halfRun.presentType).toBe("float16");
    expect(fullRun.presentType).toBe("float32");
    // The prefill attends to keys rounded to float16 as well, so every step differs a little, never a lot.
    let maxDiff = 0;
    let scale = 0;
    halfRun.logits.forEach((row, step) => {
      row.forEach((value, index) => {
        maxDiff = Math.max(maxDiff, Math.abs(value - (fullRun.logits[step]?.[index] ?? Number.NaN)));
        scale = Math.max(scale, Math.abs(value));
      });
    });
    expect(maxDiff).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(scale * 5e-3);
  });

  it("runs in the engine, which reads the cache type from the model", async () => {
    expect(engine.scheduler.batchSize).toBe(0);
    const run = await runToEnd(engine, { promptIds: prompts[1] ?? [], params: greedy({ maxTokens: 16 }) });
    expect(run.error).toBeNull();
    expect(run.tokenIds).toHaveLength(16);
  });

  it("gives each request in a padded batch, joining mid-flight, exactly the tokens it gets alone", async () => {
    const alone = [];
    for (const promptIds of prompts) alone.push(await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) }));
    const together = await Promise.all(prompts.map((promptIds) => runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) })));
    expect(together.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
    const long = runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 20 }) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const short = await runToEnd(engine, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 5 }) });
    expect(short.tokenIds).toEqual(alone[0]?.tokenIds.slice(0, 5));
    expect((await long).tokenIds).toEqual(alone[2]?.tokenIds);
  });
});
