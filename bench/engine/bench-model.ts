/** The generated model the engine benchmarks run on: demo-shaped, sized by hidden width and layer count. */
import { writeDemoModel } from "../../container/demo/write-demo-model";

const HEAD_DIM = 16;

/**
 * Writes the model folder; heads follow the width (16-wide heads, two query heads per KV head). `graph: "fast"` writes
 * the same weights (same seed) with the fast decoder graph, computing in float32.
 */
export function writeBenchModel(
  outDir: string,
  size: { hidden: number; layers: number; seed: number; graph?: "standard" | "fast" },
): ReturnType<typeof writeDemoModel> {
  const numHeads = size.hidden / HEAD_DIM;
  return writeDemoModel({
    outDir,
    seed: size.seed,
    graph: size.graph ?? "standard",
    dims: { hiddenSize: size.hidden, intermediateSize: size.hidden * 2, numLayers: size.layers, numHeads, numKvHeads: numHeads / 2, headDim: HEAD_DIM },
  });
}
