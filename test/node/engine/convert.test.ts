/**
 * The converter on a tiny random HF checkpoint written here: BF16 safetensors -> fp32 model
 * folder generating exactly the float64 reference's tokens (on the same bf16-rounded weights),
 * an fp16 folder close to it, and a failed conversion leaving no folder behind.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../../container/convert/convert-checkpoint";
import { llamaWeightShapes } from "../../../container/model/llama-dims";
import { referenceGreedy } from "../../support/reference-forward";
import { createEngine } from "../../../container/engine/create-engine";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { greedy, makeTestModel, runToEnd } from "./support/test-engine";
import { bfloat16Round, hfConfig, writeSafetensors } from "./support/write-safetensors";

const demo = makeTestModel(31);
const root = mkdtempSync(join(tmpdir(), "convert-"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  demo.cleanup();
});

const shapes = llamaWeightShapes(demo.dims);
const rounded = new Map([...demo.weights].map(([name, values]) => [name, bfloat16Round(values)]));

function writeCheckpoint(dir: string, weights: ReadonlyMap<string, Float32Array>): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, "model.safetensors"), weights, shapes, "BF16");
  writeFileSync(join(dir, "config.json"), JSON.stringify(hfConfig(demo.dims, demo.eosTokenId)));
  for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(demo.dir, file), join(dir, file));
}

describe("convertCheckpoint", () => {
  it("converts BF16 safetensors to an fp32 folder that matches the reference token for token", async () => {
    const input = join(root, "hf");
    writeCheckpoint(input, rounded);
    const progress: string[] = [];
    const result = convertCheckpoint({ inputDir: input, outputDir: join(root, "out32"), dtype: "fp32", onProgress: ({ name }) => progress.push(name) });
    expect(result.tensors).toBe(shapes.size);
    expect(progress).toHaveLength(shapes.size);
    expect(readdirSync(join(root, "out32", "onnx")).sort()).toEqual(["model.onnx", "model.onnx_data"]);
    const engine = await createEngine({ modelDir: join(root, "out32"), executionProvider: "cpu", maxBatch: 2, maxQueue: 2, requestTimeoutMs: 10_000 });
    try {
      const promptIds = engine.codec.encodeChat([{ role: "user", content: "convert me" }], true);
      const run = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 10 }) });
      const reference = referenceGreedy(demo.dims, rounded, promptIds, 10);
      expect(run.tokenIds).toEqual(reference.tokens.slice(0, run.tokenIds.length));
    } finally {
      await engine.release();
    }
  });

  it("writes fp16 weights (half the data) that still run", async () => {
    const input = join(root, "hf");
    const result = convertCheckpoint({ inputDir: input, outputDir: join(root, "out16"), dtype: "fp16" });
    const fp32 = convertCheckpoint({ inputDir: input, outputDir: join(root, "out32b"), dtype: "fp32" });
    expect(result.bytes).toBeLessThan(fp32.bytes * 0.6);
    const engine = await createEngine({ modelDir: join(root, "out16"), executionProvider: "cpu", maxBatch: 2, maxQueue: 2, requestTimeoutMs: 10_000 });
    try {
      const run = await runToEnd(engine, { promptIds: engine.codec.encodeChat([{ role: "user", content: "x" }], true), params: greedy({ maxTokens: 4 }) });
      expect(run.tokenIds.length).toBeGreaterThan(0);
    } finally {
      await engine.release();
    }
  });

  it("writes a float16 KV cache on request (--kv-dtype fp16), which the engine runs", async () => {
    convertCheckpoint({ inputDir: join(root, "hf"), outputDir: join(root, "out-kv16"), dtype: "fp16", kvDtype: "fp16" });
    const engine = await createEngine({ modelDir: join(root, "out-kv16"), executionProvider: "cpu", maxBatch: 2, maxQueue: 2, requestTimeoutMs: 10_000 });
    try {
      const run = await runToEnd(engine, { promptIds: engine.codec.encodeChat([{ role: "user", content: "x" }], true), params: greedy({ maxTokens: 4 }) });
      expect(run.error).toBeNull();
      expect(run.tokenIds).toHaveLength(4);
      const session = await createInferenceSession(join(root, "out-kv16", "onnx", "model.onnx"), { executionProvider: "cpu" });
      expect(session.inputs.find((input) => input.name === "past_key_values.0.key")?.type).toBe("float16");
      await session.release();
    } finally {
      await engine.release();
    }
  });

  it("reads a sharded checkpoint through model.safetensors.index.json", async () => {
    const input = join(root, "sharded");
    writeCheckpoint(input, rounded);
    rmSync(join(input, "model.safetensors"));
    const names = [...rounded.keys()];
    const shards = [names.slice(0, 7), names.slice(7)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, index) => {
      const file = `model-0000${index + 1}-of-00002.safetensors`;
      writeSafetensors(join(input, file), new Map(shard.map((name) => [name, rounded.get(name) ?? new Float32Array(0)])), shapes, "BF16");
      for (const name of shard) weightMap[name] = file;
    });
    writeFileSync(join(input, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    convertCheckpoint({ inputDir: input, outputDir: join(root, "out-sharded"), dtype: "fp32" });
    const single = readFileSync(join(root, "out32", "onnx", "model.onnx_data"));
    expect(readFileSync(join(root, "out-sharded", "onnx", "model.onnx_data")).equals(single)).toBe(true);
  });

  it("fails with a clear message and leaves no folder when a tensor is missing", () => {
    const input = join(root, "broken");
    const partial = new Map(rounded);
    partial.delete("model.layers.1.mlp.up_proj.weight");
    writeCheckpoint(input, partial);
    expect(() => convertCheckpoint({ inputDir: input, outputDir: join(root, "never"), dtype: "fp32" })).toThrow(
      /missing model\.layers\.1\.mlp\.up_proj\.weight/,
    );
    expect(existsSync(join(root, "never"))).toBe(false);
    expect(readdirSync(root).filter((name) => name.includes("tmp"))).toEqual([]);
  });
});
