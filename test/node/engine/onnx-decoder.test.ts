/**
 * The generated LLaMA ONNX graph against the float64 TypeScript reference: same greedy
 * tokens, logits within 1e-4; the embeds variant and external-data output match too.
 */
import { mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildEmbedTokens, buildLlamaDecoder, float32WeightSource } from "../../../container/model/build-llama-decoder";
import { randomLlamaWeights } from "../../../container/model/random-weights";
import { referenceGreedy } from "../../support/reference-forward";
import { encodeOnnxModel } from "../../../container/onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../../../container/onnx/tensor-bytes";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { int64Tensor } from "../../../container/runtime/inference-session";
import { TINY_DIMS, maxAbsDifference, rawGreedy } from "./support/tiny-model";

const weights = randomLlamaWeights(TINY_DIMS, 7);
const source = float32WeightSource(weights);
const prompt = [11, 42, 7, 199, 3, 250];
const steps = 10;
const reference = referenceGreedy(TINY_DIMS, weights, prompt, steps);
const workDir = mkdtempSync(join(tmpdir(), "onnx-decoder-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("LLaMA decoder graph", () => {
  it("matches the float64 reference: greedy ids equal, logits within 1e-4", async () => {
    const session = await createInferenceSession(encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: source, logitsToKeep: true })), {
      executionProvider: "cpu",
    });
    const run = await rawGreedy(session, TINY_DIMS, prompt, steps);
    expect(run.tokens).toEqual(reference.tokens);
    for (let step = 0; step < steps; step++) {
      expect(maxAbsDifference(run.logits[step] ?? [], reference.logits[step] ?? [])).toBeLessThan(1e-4);
    }
    // Distinct tokens show the logits are spread enough for the comparison to mean something.
    expect(new Set(run.tokens).size).toBeGreaterThan(2);
  });

  it("exposes the Optimum / transformers.js input and output names", async () => {
    const session = await createInferenceSession(encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: source, logitsToKeep: true })), {
      executionProvider: "cpu",
    });
    expect(session.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
      "past_key_values.0.key",
      "past_key_values.0.value",
      "past_key_values.1.key",
      "past_key_values.1.value",
      "num_logits_to_keep",
    ]);
    expect(session.outputNames).toEqual(["logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value"]);
  });

  it("embeds variant (embed_tokens graph + inputs_embeds decoder) gives the same tokens", async () => {
    const embedSession = await createInferenceSession(encodeOnnxModel(buildEmbedTokens({ dims: TINY_DIMS, weights: source })), { executionProvider: "cpu" });
    const decoder = await createInferenceSession(encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: source, inputMode: "embeds" })), {
      executionProvider: "cpu",
    });
    expect(decoder.inputNames[0]).toBe("inputs_embeds");
    const embed = async (ids: readonly number[]) => {
      const out = await embedSession.run({ input_ids: int64Tensor(ids, [1, ids.length]) });
      const embeds = out.inputs_embeds;
      if (!embeds) throw new Error("no inputs_embeds");
      return embeds;
    };
    const run = await rawGreedy(decoder, TINY_DIMS, prompt, steps, embed);
    expect(run.tokens).toEqual(reference.tokens);
  });

  it("writes weights as external data and loads by path with identical logits", async () => {
    const dataPath = join(workDir, "model.onnx_data");
    const fd = openSync(dataPath, "w");
    const graph = encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: source }), {
      location: "model.onnx_data",
      write: (bytes) => void writeSync(fd, bytes),
    });
    closeSync(fd);
    writeFileSync(join(workDir, "model.onnx"), graph);
    expect(graph.byteLength).toBeLessThan(20_000);
    expect(readFileSync(dataPath).byteLength).toBeGreaterThan(100_000);
    const session = await createInferenceSession(join(workDir, "model.onnx"), { executionProvider: "cpu" });
    const run = await rawGreedy(session, TINY_DIMS, prompt, steps);
    expect(run.tokens).toEqual(reference.tokens);
  });

  it("stores float16 weights and still tracks the reference closely", async () => {
    const session = await createInferenceSession(
      encodeOnnxModel(
        buildLlamaDecoder({
          dims: TINY_DIMS,
          weightType: "float16",
          weights: (name) => {
            const values = weights.get(name);
            if (!values) throw new Error(name);
            return bytesOf(float32ToFloat16Array(values));
          },
        }),
      ),
      { executionProvider: "cpu" },
    );
    const run = await rawGreedy(session, TINY_DIMS, prompt, 1);
    expect(maxAbsDifference(run.logits[0] ?? [], reference.logits[0] ?? [])).toBeLessThan(0.1);
  });
});
