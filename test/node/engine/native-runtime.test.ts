/**
 * The native layer (ONNX Runtime's C API through koffi) on the CPU provider: it runs the standard graph exactly
 * like onnxruntime-node; tensor views at a byte offset of allocated memory are bound as input and output of the
 * same run and updated in place, leaving the memory around them alone; and a 1 000-step generation on the fast
 * graph's KV pool releases every native object it made (exact counts) without growing the process's RSS.
 */
import { afterAll, describe, expect, it } from "vitest";
import { buildLlamaDecoder, float32WeightSource } from "../../../container/model/build-llama-decoder";
import { randomLlamaWeights } from "../../../container/model/random-weights";
import { GraphBuilder } from "../../../container/onnx/graph-builder";
import { encodeOnnxModel } from "../../../container/onnx/onnx-model";
import { type EngineTensor, isBindingSession } from "../../../container/runtime/inference-session";
import { liveNativeObjects } from "../../../container/runtime/native-memory";
import { createInferenceSession, openRuntime } from "../../../container/runtime/onnx-backend";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";
import { TINY_DIMS, maxAbsDifference, rawGreedy } from "./support/tiny-model";

const fast = makeTestModel(21, { graph: "fast", dtype: "fp32" });
afterAll(() => fast.cleanup());

/** y = x + 1 over [4] float32: bound in place, each run adds one. */
function incrementGraph(): Uint8Array {
  const g = new GraphBuilder("increment");
  const x = g.input("x", "float32", [4]);
  g.output(g.op("Add", [x, g.constFloat32([1])]), "y", "float32", [4]);
  return encodeOnnxModel(g.toModel());
}

/** y = x over [n] float32 (reads memory back into a host tensor). */
function copyGraph(): Uint8Array {
  const g = new GraphBuilder("copy");
  const x = g.input("x", "float32", ["n"]);
  g.output(g.op("Identity", [x]), "y", "float32", ["n"]);
  return encodeOnnxModel(g.toModel());
}

describe("native ONNX Runtime layer", () => {
  it("runs the standard graph to the same tokens and logits as onnxruntime-node", async () => {
    const bytes = encodeOnnxModel(buildLlamaDecoder({ dims: TINY_DIMS, weights: float32WeightSource(randomLlamaWeights(TINY_DIMS, 3)), logitsToKeep: true }));
    const runtime = await openRuntime({ executionProvider: "cpu", runtime: "native" });
    expect(runtime.kind).toBe("native");
    expect(runtime.version).toMatch(/^1\.\d+\.\d+/);
    const native = await runtime.createSession(bytes);
    const node = await createInferenceSession(bytes, { executionProvider: "cpu", runtime: "onnxruntime-node" });
    try {
      expect(isBindingSession(native)).toBe(true);
      expect(isBindingSession(node)).toBe(false);
      const prompt = [1, 2, 3, 50, 60, 70];
      const [a, b] = [await rawGreedy(node, TINY_DIMS, prompt, 8), await rawGreedy(native, TINY_DIMS, prompt, 8)];
      expect(b.tokens).toEqual(a.tokens);
      for (let step = 0; step < 8; step++) expect(maxAbsDifference(a.logits[step] ?? [], b.logits[step] ?? [])).toBe(0);
    } finally {
      await Promise.all([native.release(), node.release()]);
    }
  });

  it("binds a view at a byte offset as input and output of one run: updated in place, its neighbours untouched", async () => {
    const runtime = await openRuntime({ executionProvider: "cpu", runtime: "native" });
    const increment = await runtime.createSession(incrementGraph());
    const copy = await runtime.createSession(copyGraph());
    if (!isBindingSession(increment) || !isBindingSession(copy)) throw new Error("native sessions expected");
    const memory = increment.allocate(16 * 4);
    const whole = increment.view(memory, 0, "float32", [16]);
    const slot = increment.view(memory, 8 * 4, "float32", [4]);
    const pattern: EngineTensor = { type: "float32", data: Float32Array.from({ length: 16 }, (_, index) => index * 10), dims: [16] };
    const readBack: EngineTensor = { type: "float32", data: new Float32Array(16), dims: [16] };
    const patternView = copy.hostView(pattern);
    const readView = copy.hostView(readBack);
    const copyBinding = copy.createBinding();
    const binding = increment.createBinding();
    try {
      copyBinding.bindInput("x", patternView);
      copyBinding.bindOutput("y", whole);
      await copyBinding.run();
      binding.bindInput("x", slot);
      binding.bindOutput("y", slot);
      for (let run = 0; run < 3; run++) await binding.run();
      copyBinding.bindInput("x", whole);
      copyBinding.bindOutput("y", readView);
      await copyBinding.run();
      const expected = Array.from({ length: 16 }, (_, index) => index * 10 + (index >= 8 && index < 12 ? 3 : 0));
      expect([...readBack.data]).toEqual(expected);
    } finally {
      for (const item of [binding, copyBinding, slot, whole, patternView, readView, memory]) item.release();
      await Promise.all([increment.release(), copy.release()]);
    }
  });

  it("a 1 000-step generation on the KV pool releases every native object and does not grow RSS", async () => {
    const before = { ...liveNativeObjects };
    const engine = await testEngine(fast, { maxBatch: 2 });
    const promptIds = engine.codec.encodeChat([{ role: "user", content: "Count to a thousand." }], true);
    try {
      // Warm-up: ONNX Runtime's arena and V8's heap reach their working size; the views the runner caches per
      // shape (a bounded set) exist from here on.
      await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 200, ignoreEos: true }) });
      const during = { ...liveNativeObjects };
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const result = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 1000, ignoreEos: true }) });
      expect(result.tokenIds).toHaveLength(1000);
      global.gc?.();
      const growth = process.memoryUsage().rss - rssBefore;
      // The exact counts below catch a leaked OrtValue, binding, buffer or session per step; the RSS bound catches
      // gross leaks they cannot see (a per-step copy of the KV pool would be ~2 GiB over 1 000 steps here).
      expect(growth).toBeLessThan(16 * 2 ** 20);
      expect({ ...liveNativeObjects }).toEqual(during);
    } finally {
      await engine.release();
    }
    expect({ ...liveNativeObjects }).toEqual(before);
  });
});
