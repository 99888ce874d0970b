/**
 * The converter's fast graph (`convert.ts --graph fast`) on a tiny random BF16 checkpoint written here: a float32
 * folder whose engine generates exactly the float64 reference's tokens; a float16 folder (half the data, its KV
 * cache float16 too) that stays on them for the tiny model; a contradictory --kv-dtype refused before anything is
 * written; the CLI flag reaching the folder's engine.json.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../../container/convert/convert-checkpoint";
import { createEngine } from "../../../container/engine/create-engine";
import { llamaWeightShapes } from "../../../container/model/llama-dims";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { referenceGreedy } from "../../support/reference-forward";
import { greedy, makeTestModel, runToEnd } from "./support/test-engine";
import { bfloat16Round, hfConfig, writeSafetensors } from "./support/write-safetensors";

const demo = makeTestModel(31);
const root = mkdtempSync(join(tmpdir(), "convert-fast-"));
const input = join(root, "hf");
const rounded = new Map([...demo.weights].map(([name, values]) => [name, bfloat16Round(values)]));
mkdirSync(input, { recursive: true });
writeSafetensors(join(input, "model.safetensors"), rounded, llamaWeightShapes(demo.dims), "BF16");
writeFileSync(join(input, "config.json"), JSON.stringify(hfConfig(demo.dims, demo.eosTokenId)));
for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(demo.dir, file), join(input, file));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  demo.cleanup();
});

async function greedyIds(modelDir: string, count: number): Promise<{ ids: readonly number[]; promptIds: number[] }> {
  const engine = await createEngine({ modelDir, executionProvider: "cpu", maxBatch: 2, maxQueue: 2, requestTimeoutMs: 10_000 });
  try {
    const promptIds = engine.codec.encodeChat([{ role: "user", content: "convert me to the fast graph" }], true);
    const run = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: count, ignoreEos: true }) });
    return { ids: run.tokenIds, promptIds };
  } finally {
    await engine.release();
  }
}

describe("convertCheckpoint --graph fast", () => {
  it("writes a float32 fast folder that matches the reference token for token", async () => {
    convertCheckpoint({ inputDir: input, outputDir: join(root, "fast32"), dtype: "fp32", graph: "fast" });
    expect(JSON.parse(readFileSync(join(root, "fast32", "engine.json"), "utf8"))).toEqual({ graph: "fast", compute_dtype: "float32" });
    const { ids, promptIds } = await greedyIds(join(root, "fast32"), 12);
    expect(ids).toEqual(referenceGreedy(demo.dims, rounded, promptIds, 12).tokens);
  });

  it("writes a float16 fast folder: half the data, a float16 KV cache, still the reference's tokens on the tiny model", async () => {
    const half = convertCheckpoint({ inputDir: input, outputDir: join(root, "fast16"), dtype: "fp16", graph: "fast" });
    const full = convertCheckpoint({ inputDir: input, outputDir: join(root, "fast32b"), dtype: "fp32", graph: "fast" });
    expect(half.bytes).toBeLessThan(full.bytes * 0.6);
    const session = await createInferenceSession(join(root, "fast16", "onnx", "model.onnx"), { executionProvider: "cpu" });
    expect(session.inputs.find((entry) => entry.name === "past_key_values.0.key")?.type).toBe("float16");
    await session.release();
    const { ids, promptIds } = await greedyIds(join(root, "fast16"), 8);
    expect(ids).toEqual(referenceGreedy(demo.dims, rounded, promptIds, 8).tokens);
  });

  it("refuses --kv-dtype that differs from the fast graph's compute type, leaving nothing behind", () => {
    expect(() => convertCheckpoint({ inputDir: input, outputDir: join(root, "never"), dtype: "fp16", kvDtype: "fp32", graph: "fast" })).toThrow(
      /fast graph keeps its KV cache in its compute type.*--kv-dtype fp32/,
    );
    expect(existsSync(join(root, "never"))).toBe(false);
    expect(readdirSync(root).filter((name) => name.includes("tmp"))).toEqual([]);
  });

  it("takes --graph fast on the command line", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "container/convert.ts", "--in", input, "--out", join(root, "cli"), "--graph", "fast", "--dtype", "fp16"],
      { cwd: process.cwd() },
    );
    expect(stdout).toContain("fast graph, fp16");
    expect(JSON.parse(readFileSync(join(root, "cli", "engine.json"), "utf8"))).toEqual({ graph: "fast", compute_dtype: "float16" });
  });
});
