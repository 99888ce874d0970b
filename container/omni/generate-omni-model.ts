/**
 * CLI: write an Omni model folder with random weights.
 *   npx tsx container/omni/generate-omni-model.ts --out .cache/models/megrez-omni-demo [--seed 42]
 *     the tiny demo (text decoder in its inputs_embeds variant, embed_tokens, vision encoder + resampler, audio
 *     encoder + projector); same seed → same bytes; serve it with the engine like any model folder.
 *   npx tsx container/omni/generate-omni-model.ts --size megrez --out /data/megrez-omni-sized [--layers 32]
 *     [--vision-layers 27] [--audio-layers 32]
 *     Megrez-3B-Omni dimensions (≈ 10 GB: fp16 LLM, fp32 towers) for `bench/omni/run.ts --model DIR --ep cuda`.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeOmniDemoModel } from "./write-omni-demo-model";
import { writeSizedOmniModel } from "./write-sized-omni-model";

const argsSchema = z.object({
  out: z.string().min(1).default(".cache/models/megrez-omni-demo"),
  seed: z.coerce.number().int().nonnegative().default(42),
  size: z.enum(["tiny", "megrez"]).default("tiny"),
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
  if (args.size === "megrez") {
    const { llm, omni } = writeSizedOmniModel({
      outDir,
      seed: args.seed,
      ...(args.layers ? { llmLayers: args.layers } : {}),
      ...(args["vision-layers"] ? { visionLayers: args["vision-layers"] } : {}),
      ...(args["audio-layers"] ? { audioLayers: args["audio-layers"] } : {}),
    });
    console.log(
      `Megrez-Omni-sized random model written to ${outDir} (LLM ${llm.numLayers} layers, vision ${omni.vision.numLayers}, audio ${omni.audio.numLayers}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } else {
    const { dims, omni } = writeOmniDemoModel({ outDir, seed: args.seed });
    console.log(
      `omni demo model written to ${outDir} (seed ${args.seed}, hidden ${dims.hiddenSize}, vision ${omni.vision.hiddenSize}×${omni.vision.numLayers}, audio ${omni.audio.hiddenSize}×${omni.audio.numLayers}) in ${Date.now() - started} ms; random weights: output is noise by design`,
    );
  }
} catch (error) {
  console.error(`generate-omni-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
