/**
 * The converter converts exactly or refuses: tiny random HF checkpoints with attention/MLP biases,
 * the transformers >= 5 `rope_parameters` layout, GELU activations and linear / dynamic-NTK / llama3
 * RoPE scaling each convert to a folder whose logits match the float64 reference within 1e-4 (and
 * that the engine loads); an untied config without lm_head, a config field it does not understand, a
 * tensor it would not use and an unsupported rope type are refused with the name of the culprit.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../../container/convert/convert-checkpoint";
import { loadModelFolder } from "../../../container/engine/model-folder";
import { type LlamaDims, llamaWeightShapes } from "../../../container/model/llama-dims";
import { randomLlamaWeights } from "../../../container/model/random-weights";
import { referenceGreedy } from "../../support/reference-forward";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { makeTestModel } from "./support/test-engine";
import { TINY_DIMS, maxAbsDifference, rawGreedy } from "./support/tiny-model";
import { hfConfig, writeSafetensors } from "./support/write-safetensors";

const demo = makeTestModel(3);
const root = mkdtempSync(join(tmpdir(), "convert-fidelity-"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  demo.cleanup();
});

const PROMPT = [11, 42, 7, 199, 3, 250, 17, 88, 5, 120, 64, 9];
const STEPS = 8;

type Variant = {
  dims: LlamaDims;
  config?: (config: Record<string, unknown>) => Record<string, unknown>;
  weights?: (weights: Map<string, Float32Array>) => void;
  /** Tied random weights keep choosing the prompt's last token: the logits are still compared. */
  repeats?: boolean;
};

let folders = 0;
function writeCheckpoint(variant: Variant, seed = 21): { input: string; weights: Map<string, Float32Array> } {
  const input = join(root, `hf-${folders++}`);
  mkdirSync(input, { recursive: true });
  const weights = randomLlamaWeights(variant.dims, seed);
  variant.weights?.(weights);
  const shapes = new Map([...llamaWeightShapes({ ...variant.dims, tieWordEmbeddings: false }), ...llamaWeightShapes(variant.dims)]);
  writeSafetensors(join(input, "model.safetensors"), weights, shapes, "F32");
  const config = hfConfig(variant.dims, demo.eosTokenId) as Record<string, unknown>;
  writeFileSync(join(input, "config.json"), JSON.stringify(variant.config ? variant.config(config) : config));
  for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(demo.dir, file), join(input, file));
  return { input, weights };
}

/** Converts, checks the engine's loader reads the folder as `dims`, and compares greedy logits with the reference. */
async function expectExact(variant: Variant): Promise<void> {
  const { input, weights } = writeCheckpoint(variant);
  const output = join(root, `out-${folders}`);
  convertCheckpoint({ inputDir: input, outputDir: output, dtype: "fp32" });
  expect(loadModelFolder(output).dims).toMatchObject(variant.dims);
  const session = await createInferenceSession(join(output, "onnx", "model.onnx"), { executionProvider: "cpu" });
  try {
    const run = await rawGreedy(session, variant.dims, PROMPT, STEPS);
    const reference = referenceGreedy(variant.dims, weights, PROMPT, STEPS);
    expect(run.tokens).toEqual(reference.tokens);
    for (let step = 0; step < STEPS; step++) expect(maxAbsDifference(run.logits[step] ?? [], reference.logits[step] ?? [])).toBeLessThan(1e-4);
    if (!variant.repeats) expect(new Set(run.tokens).size).toBeGreaterThan(2);
  } finally {
    await session.release();
  }
}

function expectRefused(variant: Variant, reason: RegExp): void {
  const { input } = writeCheckpoint(variant);
  const output = join(root, `refused-${folders}`);
  expect(() => convertCheckpoint({ inputDir: input, outputDir: output, dtype: "fp32" })).toThrow(reason);
  expect(existsSync(output)).toBe(false);
}

describe("converter fidelity: converts exactly", () => {
  it("attention and MLP biases (attention_bias, mlp_bias)", async () => {
    await expectExact({ dims: { ...TINY_DIMS, attentionBias: true, mlpBias: true } });
  });

  it("the transformers >= 5 layout: rope_parameters, no top-level rope_theta", async () => {
    await expectExact({
      dims: { ...TINY_DIMS, ropeTheta: 500 },
      config: ({ rope_theta: _theta, rope_scaling: _scaling, torch_dtype, ...rest }) => ({
        ...rest,
        dtype: torch_dtype,
        rope_parameters: { rope_type: "default", rope_theta: 500 },
      }),
    });
  });

  it("GELU (erf) and the tanh GELU", async () => {
    await expectExact({ dims: { ...TINY_DIMS, hiddenAct: "gelu" } });
    await expectExact({ dims: { ...TINY_DIMS, hiddenAct: "gelu_tanh" } });
  });

  it("rope_scaling linear and llama3", async () => {
    await expectExact({ dims: { ...TINY_DIMS, ropeTheta: 200, ropeScaling: { type: "linear", factor: 4 } } });
    await expectExact({
      dims: { ...TINY_DIMS, ropeTheta: 500, ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 } },
    });
  });

  it("rope_scaling dynamic, past the original length (the base follows each forward call's length, as in HF)", async () => {
    await expectExact({
      dims: { ...TINY_DIMS, ropeTheta: 300, maxPositionEmbeddings: 6, ropeScaling: { type: "dynamic", factor: 3, originalMaxPositions: 6 } },
    });
  });

  it("rope_parameters with llama3 scaling inside (transformers >= 5)", async () => {
    await expectExact({
      dims: { ...TINY_DIMS, ropeTheta: 500, ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 } },
      config: ({ rope_theta, rope_scaling, ...rest }) => ({ ...rest, rope_parameters: { ...(rope_scaling as object), rope_theta } }),
    });
  });

  it("a tied config whose checkpoint also stores lm_head as an exact copy", async () => {
    await expectExact({
      dims: { ...TINY_DIMS, tieWordEmbeddings: true },
      repeats: true,
      weights: (weights) => {
        const embed = weights.get("model.embed_tokens.weight") ?? new Float32Array(0);
        const copy = new Float32Array(embed.length);
        const { vocabSize: v, hiddenSize: h } = TINY_DIMS;
        for (let token = 0; token < v; token++) for (let i = 0; i < h; i++) copy[i * v + token] = embed[token * h + i] ?? 0;
        weights.set("lm_head.weight", copy);
      },
    });
  });
});

describe("converter fidelity: refuses with a named reason", () => {
  it("an untied config without lm_head.weight", () => {
    expectRefused(
      { dims: TINY_DIMS, weights: (weights) => weights.delete("lm_head.weight") },
      /lm_head\.weight is missing and config\.json says tie_word_embeddings is false/,
    );
  });

  it("config fields it does not understand", () => {
    expectRefused(
      { dims: TINY_DIMS, config: (config) => ({ ...config, quantization_config: { bits: 4 }, sliding_window: 128 }) },
      /"quantization_config", "sliding_window" not understood/,
    );
  });

  it("tensors it would not use", () => {
    expectRefused(
      { dims: TINY_DIMS, weights: (weights) => weights.set("model.layers.0.self_attn.q_norm.weight", new Float32Array(TINY_DIMS.headDim)) },
      /1 tensor would not be used: model\.layers\.0\.self_attn\.q_norm\.weight/,
    );
    // Biases in the checkpoint while the config says there are none: dropping them would be silently wrong.
    expectRefused(
      { dims: { ...TINY_DIMS, attentionBias: true }, config: (config) => ({ ...config, attention_bias: false }) },
      /tensors would not be used: model\.layers\.0\.self_attn\.q_proj\.bias/,
    );
  });

  it("an lm_head that differs from embed_tokens in a tied config", () => {
    expectRefused({ dims: TINY_DIMS, config: (config) => ({ ...config, tie_word_embeddings: true }) }, /lm_head\.weight differs from embed_tokens/);
  });

  it("rope types, activations and rotary factors it does not implement", () => {
    expectRefused(
      { dims: TINY_DIMS, config: (config) => ({ ...config, rope_scaling: { rope_type: "yarn", factor: 4 } }) },
      /rope type "yarn" is not supported/,
    );
    expectRefused({ dims: TINY_DIMS, config: (config) => ({ ...config, hidden_act: "gelu_10" }) }, /hidden_act "gelu_10" is not supported/);
    expectRefused({ dims: TINY_DIMS, config: (config) => ({ ...config, partial_rotary_factor: 0.5 }) }, /partial_rotary_factor 0\.5 is not supported/);
    expectRefused(
      { dims: TINY_DIMS, config: (config) => ({ ...config, rope_scaling: { type: "linear", factor: 2, beta: 1 } }) },
      /"beta" not understood for rope type "linear"/,
    );
  });
});
