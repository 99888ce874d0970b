/**
 * The fast decoder graph (ONNX Runtime contrib ops, in-place KV buffer) on ORT's CPU provider, against the
 * float64 reference: same greedy tokens; logits within 1e-4 computing in float32 and within 0.05 in float16
 * (weights, activations and KV cache rounded to half precision; the tiny model's logits span about ±10).
 * Chunked prefill equals one-shot prefill, rows of different lengths decoded together equal each alone, and
 * the buffer columns past a row's length are never read (they hold NaN here).
 */
import { describe, expect, it } from "vitest";
import { buildFastDecoder, buildFastEmbedTokens, type FastComputeType } from "../../../container/model/build-fast-decoder";
import type { WeightSource } from "../../../container/model/build-llama-decoder";
import type { LlamaDims } from "../../../container/model/llama-dims";
import { randomLlamaWeights } from "../../../container/model/random-weights";
import { encodeOnnxModel } from "../../../container/onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../../../container/onnx/tensor-bytes";
import { int64Tensor } from "../../../container/runtime/inference-session";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { referenceGreedy } from "../../support/reference-forward";
import { FastGraphLoop } from "./support/fast-graph-loop";
import { TINY_DIMS, maxAbsDifference } from "./support/tiny-model";

/** Tiny dims with a short rotary table (the caches are initializers of maxPositionEmbeddings rows). */
const DIMS: LlamaDims = { ...TINY_DIMS, maxPositionEmbeddings: 128 };
const CAPACITY = 48;
const PROMPTS = [
  [11, 42, 7, 199, 3, 250, 17, 9, 100, 23, 64],
  [5, 6, 7],
  [200, 201, 202, 203, 204, 205, 206],
];
const STEPS = 10;
const FP32_TOLERANCE = 1e-4;
const FP16_TOLERANCE = 0.05;

function weightSource(weights: ReadonlyMap<string, Float32Array>, type: FastComputeType): WeightSource {
  return (name) => {
    const values = weights.get(name);
    if (!values) throw new Error(`missing weight ${name}`);
    return type === "float32" ? bytesOf(values) : bytesOf(float32ToFloat16Array(values));
  };
}

async function fastSession(dims: LlamaDims, weights: ReadonlyMap<string, Float32Array>, computeType: FastComputeType, inputMode: "ids" | "embeds" = "ids") {
  return createInferenceSession(encodeOnnxModel(buildFastDecoder({ dims, weights: weightSource(weights, computeType), computeType, inputMode })), {
    executionProvider: "cpu",
  });
}

/** Fills every KV buffer with NaN, so a read of a column past a row's length would poison the logits. */
function poison(loop: FastGraphLoop): void {
  for (const buffer of loop.buffers) {
    if (buffer instanceof Float32Array) buffer.fill(Number.NaN);
    else buffer.fill(0x7e00);
  }
}

function worstDifference(actual: readonly Float32Array[], expected: readonly Float64Array[]): number {
  return Math.max(...actual.map((logits, step) => maxAbsDifference(logits, expected[step] ?? [])));
}

const weights = randomLlamaWeights(DIMS, 7);
const references = PROMPTS.map((prompt) => referenceGreedy(DIMS, weights, prompt, STEPS));

describe.each(["float32", "float16"] as const)("fast decoder graph, %s compute", (computeType) => {
  const tolerance = computeType === "float32" ? FP32_TOLERANCE : FP16_TOLERANCE;

  it("matches the float64 reference, one prompt at a time (greedy ids equal, logits within tolerance)", async () => {
    const session = await fastSession(DIMS, weights, computeType);
    for (const [index, prompt] of PROMPTS.entries()) {
      const loop = new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: 1 });
      poison(loop);
      const run = await loop.greedy([prompt], STEPS);
      const reference = references[index];
      expect(run.tokens[0]).toEqual(reference?.tokens);
      expect(worstDifference(run.logits[0] ?? [], reference?.logits ?? [])).toBeLessThan(tolerance);
    }
    expect(new Set(references[0]?.tokens).size).toBeGreaterThan(2);
  });

  it("chunked prefill into the shared buffer equals one-shot prefill", async () => {
    const session = await fastSession(DIMS, weights, computeType);
    const prompt = PROMPTS[0] ?? [];
    const whole = await new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: 1 }).greedy([prompt], STEPS);
    for (const chunk of [1, 3, 4]) {
      const loop = new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: 1 });
      poison(loop);
      const chunked = await loop.greedy([prompt], STEPS, chunk);
      expect(chunked.tokens).toEqual(whole.tokens);
      const drift = Math.max(...(chunked.logits[0] ?? []).map((logits, step) => maxAbsDifference(logits, whole.logits[0]?.[step] ?? [])));
      expect(drift).toBeLessThan(computeType === "float32" ? 1e-5 : 1e-2);
    }
  });

  it("rows of different lengths decoded together equal each prompt alone", async () => {
    const session = await fastSession(DIMS, weights, computeType);
    const loop = new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: PROMPTS.length });
    poison(loop);
    const together = await loop.greedy(PROMPTS, STEPS, 4);
    for (const [row, prompt] of PROMPTS.entries()) {
      const alone = await new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: 1 }).greedy([prompt], STEPS);
      expect(together.tokens[row]).toEqual(alone.tokens[0]);
      const drift = Math.max(...(together.logits[row] ?? []).map((logits, step) => maxAbsDifference(logits, alone.logits[0]?.[step] ?? [])));
      expect(drift).toBeLessThan(computeType === "float32" ? 1e-5 : 1e-2);
      expect(together.tokens[row]).toEqual(references[row]?.tokens);
    }
  });

  it("tied embeddings (lm_head = embed_tokens) match the reference", async () => {
    const dims: LlamaDims = { ...DIMS, tieWordEmbeddings: true };
    const tiedWeights = randomLlamaWeights(dims, 11);
    const session = await fastSession(dims, tiedWeights, computeType);
    const prompt = PROMPTS[1] ?? [];
    const reference = referenceGreedy(dims, tiedWeights, prompt, 4);
    const run = await new FastGraphLoop({ session, dims, computeType, capacity: CAPACITY, rows: 1 }).greedy([prompt], 4);
    expect(run.tokens[0]).toEqual(reference.tokens);
    expect(worstDifference(run.logits[0] ?? [], reference.logits)).toBeLessThan(tolerance);
  });

  it("embeds variant (embed_tokens graph + inputs_embeds decoder) gives the reference tokens", async () => {
    const embedTokens = await createInferenceSession(
      encodeOnnxModel(buildFastEmbedTokens({ dims: DIMS, weights: weightSource(weights, computeType), computeType })),
      {
        executionProvider: "cpu",
      },
    );
    const session = await fastSession(DIMS, weights, computeType, "embeds");
    expect(session.inputNames[0]).toBe("inputs_embeds");
    expect(session.inputs[0]?.type).toBe(computeType);
    const embed = async (ids: readonly (readonly number[])[]) => {
      const out = await embedTokens.run({ input_ids: int64Tensor(ids.flat(), [ids.length, ids[0]?.length ?? 0]) });
      if (!out.inputs_embeds) throw new Error("no inputs_embeds");
      return out.inputs_embeds;
    };
    const run = await new FastGraphLoop({ session, dims: DIMS, computeType, capacity: CAPACITY, rows: 1, embed }).greedy([PROMPTS[0] ?? []], STEPS);
    expect(run.tokens[0]).toEqual(references[0]?.tokens);
  });
});

describe("fast decoder graph I/O (GPU-CONTRACT.md)", () => {
  it("declares input_ids, seqlens_k, total_sequence_length and the shared KV buffers; logits [batch, vocab] float32", async () => {
    const model = buildFastDecoder({ dims: DIMS, weights: weightSource(weights, "float16"), computeType: "float16" });
    const session = await createInferenceSession(encodeOnnxModel(model), { executionProvider: "cpu" });
    const kvNames = (prefix: string) => Array.from({ length: DIMS.numLayers }, (_, layer) => [`${prefix}.${layer}.key`, `${prefix}.${layer}.value`]).flat();
    expect(session.inputNames).toEqual(["input_ids", "seqlens_k", "total_sequence_length", ...kvNames("past_key_values")]);
    expect(session.outputNames).toEqual(["logits", ...kvNames("present")]);
    const types = Object.fromEntries(session.inputs.map((input) => [input.name, [input.type, input.dims]]));
    expect(types.seqlens_k).toEqual(["int32", ["batch_size"]]);
    expect(types.total_sequence_length).toEqual(["int32", []]);
    expect(types["past_key_values.0.key"]).toEqual(["float16", ["batch_size", DIMS.numKvHeads, "max_cache_length", DIMS.headDim]]);
    expect(model.graph.outputs[0]).toEqual({ name: "logits", dataType: "float32", dims: ["batch_size", DIMS.vocabSize] });
    const opTypes = model.graph.nodes.map((node) => node.opType);
    expect(opTypes.filter((type) => type === "GroupQueryAttention")).toHaveLength(DIMS.numLayers);
    expect(opTypes.filter((type) => type === "SkipSimplifiedLayerNormalization")).toHaveLength(2 * DIMS.numLayers);
    expect(opTypes).not.toContain("Softmax");
    expect(model.graph.initializers.filter((tensor) => tensor.dims.length === 2 && tensor.dataType !== "float16")).toEqual([]);
  });
});

describe("fast decoder graph honours the config's architecture fields (float32, against the float64 reference)", () => {
  const variants: [string, Partial<LlamaDims>][] = [
    ["attention and MLP biases", { attentionBias: true, mlpBias: true }],
    ["gelu (erf) activation", { hiddenAct: "gelu" }],
    ["gelu_tanh activation", { hiddenAct: "gelu_tanh" }],
    ["quick_gelu activation", { hiddenAct: "quick_gelu" }],
    ["relu activation", { hiddenAct: "relu" }],
    ["linear RoPE scaling", { ropeScaling: { type: "linear", factor: 4 } }],
    ["llama3 RoPE scaling", { ropeScaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 32 } }],
  ];
  it.each(variants)("%s", async (_, fields) => {
    const dims: LlamaDims = { ...DIMS, ...fields };
    const variantWeights = randomLlamaWeights(dims, 21);
    const session = await fastSession(dims, variantWeights, "float32");
    const prompt = PROMPTS[0] ?? [];
    const reference = referenceGreedy(dims, variantWeights, prompt, STEPS);
    const run = await new FastGraphLoop({ session, dims, computeType: "float32", capacity: CAPACITY, rows: 1 }).greedy([prompt], STEPS, 4);
    expect(run.tokens[0]).toEqual(reference.tokens);
    expect(worstDifference(run.logits[0] ?? [], reference.logits)).toBeLessThan(FP32_TOLERANCE);
  });

  it("refuses dynamic NTK RoPE scaling and head sizes its rotary cannot take, naming them", () => {
    const build = (fields: Partial<LlamaDims>) => () =>
      buildFastDecoder({ dims: { ...DIMS, ...fields }, weights: weightSource(weights, "float32"), computeType: "float32" });
    expect(build({ ropeScaling: { type: "dynamic", factor: 2, originalMaxPositions: 64 } })).toThrow(/dynamic NTK RoPE.*--graph standard/);
    expect(build({ headDim: 8, numHeads: 8, numKvHeads: 4 })).toThrow(/head_dim to be a multiple of 16.*is 8/);
  });
});
