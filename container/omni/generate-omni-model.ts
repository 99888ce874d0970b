/**
 * CLI: write the tiny random Omni demo model folder.
 *   npx tsx container/omni/generate-omni-model.ts --out .cache/models/megrez-omni-demo [--seed 42] [--graph standard|fast] [--dtype fp32|fp16]
 * Text decoder in its inputs_embeds variant, embed_tokens, vision encoder + resampler, audio encoder + projector;
 * same seed → same bytes; serve it with the engine like any model folder. The Megrez-3B-Omni-sized folder for
 * GPU benchmarks is written by bench/omni/generate-sized-omni-model.ts.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeOmniDemoModel } from "./write-omni-demo-model";

const argsSchema = z.object({
  out: z.string().min(1).default(".cache/models/megrez-omni-demo"),
  seed: z.coerce.number().int().nonnegative().default(42),
  graph: z.enum(["standard", "fast"]).default("standard"),
  dtype: z.enum(["fp32", "fp16"]).default("fp32"),
});

try {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(argsSchema.shape).map((key) => [key, { type: "string" as const }])),
    strict: true,
  });
  const args = argsSchema.parse(values);
  const outDir = resolve(args.out);
  const started = Date.now();
  const { dims, omni } = writeOmniDemoModel({ outDir, seed: args.seed, graph: args.graph, dtype: args.dtype });
  console.log(
    `omni demo model written to ${outDir} (seed ${args.seed}, hidden ${dims.hiddenSize}, vision ${omni.vision.hiddenSize}×${omni.vision.numLayers}, audio ${omni.audio.hiddenSize}×${omni.audio.numLayers}) in ${Date.now() - started} ms; random weights: output is noise by design`,
  );
} catch (error) {
  console.error(`generate-omni-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
