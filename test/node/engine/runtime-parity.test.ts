/**
 * onnxruntime-node (cpu) and onnxruntime-web (wasm, in Node) run the same graph to the same
 * greedy tokens and near-identical logits, and the whole engine works on the wasm backend.
 */
import { afterAll, describe, expect, it } from "vitest";
import { buildLlamaDecoder, float32WeightSource } from "../../../container/model/build-llama-decoder";
import { randomLlamaWeights } from "../../../container/model/random-weights";
import { encodeOnnxModel } from "../../../container/onnx/onnx-model";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { TINY_DIMS, maxAbsDifference, rawGreedy } from "./support/tiny-model";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(13);
afterAll(() => model.cleanup());

describe("onnxruntime-node vs onnxruntime-web", () => {
  it("agree on greedy tokens and logits for the decoder graph", async () => {
    const bytes = encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: float32WeightSource(randomLlamaWeights(TINY_DIMS, 3)), logitsToKeep: true }));
    const node = await createInferenceSession(bytes, { executionProvider: "cpu" });
    const web = await createInferenceSession(bytes, { executionProvider: "wasm" });
    expect(web.executionProvider).toBe("wasm");
    const prompt = [1, 2, 3, 50, 60, 70];
    const [a, b] = [await rawGreedy(node, TINY_DIMS, prompt, 8), await rawGreedy(web, TINY_DIMS, prompt, 8)];
    expect(b.tokens).toEqual(a.tokens);
    for (let step = 0; step < 8; step++) expect(maxAbsDifference(a.logits[step] ?? [], b.logits[step] ?? [])).toBeLessThan(1e-4);
  });

  it("the engine on wasm generates the same text as on cpu", async () => {
    const cpu = await testEngine(model);
    const wasm = await testEngine(model, { executionProvider: "wasm" });
    try {
      const promptIds = cpu.codec.encodeChat([{ role: "user", content: "你好" }], true);
      const [a, b] = await Promise.all([runToEnd(cpu, { promptIds, params: greedy() }), runToEnd(wasm, { promptIds, params: greedy() })]);
      expect(wasm.executionProvider).toBe("wasm");
      expect(b.tokenIds).toEqual(a.tokenIds);
      expect(b.text).toBe(a.text);
    } finally {
      await Promise.all([cpu.release(), wasm.release()]);
    }
  });
});
