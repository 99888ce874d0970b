/**
 * CLI: write a Megrez-3B-Omni-sized random model folder for GPU benchmarks (≈ 10 GB: fp16 LLM, fp32 towers).
 *   npx tsx bench/omni/generate-sized-omni-model.ts --out /data/megrez-omni-sized [--graph standard|fast] [--layers 32]
 *     [--vision-layers 27] [--audio-layers 32] [--seed 42]
 * Then `npx tsx bench/omni/run.ts --model DIR --ep cuda`. Cut the layer counts to check the path on a small machine.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeSizedOmniModel } from "./write-sized-omni-model";

const argsSchema = z.object({
  out: z.string({ error: "--out DIR is required" }).min(1),
  seed: z.coerce.number().int().nonnegative().default(42),
  graph: z.enum(["standard", "fast"]).default("standard"),
  layers: z.coerce.number().int().positive().optional(),
  "vision-layers": z.coerce.number().int().positive().optional(),
  "audio-layers": z.coerce.number().int().positive().optional(),
});

try {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(argsSchema.shape).map((key) => [key, { type: "string" as const }])),
    strict: true,
  });
  const args = argsSchema.parse(values);
  const outDir = resolve(args.out);
  const started = Date.now();
  const { llm, omni } = writeSizedOmniModel({
    outDir,
    seed: args.seed,
    graph: args.graph,
    ...(args.layers ? { llmLayers: args.layers } : {}),
    ...(args["vision-layers"] ? { visionLayers: args["vision-layers"] } : {}),
    ...(args["audio-layers"] ? { audioLayers: args["audio-layers"] } : {}),
  });
  console.log(
    `Megrez-Omni-sized random model (${args.graph} graph) written to ${outDir} (LLM ${llm.numLayers} layers, vision ${omni.vision.numLayers}, audio ${omni.audio.numLayers}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (error) {
  console.error(`generate-sized-omni-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
