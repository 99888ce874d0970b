/**
 * CLI: write the tiny random Megrez-Omni demo model folder (text decoder in its inputs_embeds variant, embed_tokens,
 * vision encoder + resampler, audio encoder + projector).
 *   npx tsx container/omni/generate-omni-model.ts --out .cache/models/megrez-omni-demo [--seed 42]
 * Same seed → same bytes. Serve it with the engine like any model folder.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeOmniDemoModel } from "./write-omni-demo-model.js";

const argsSchema = z.object({
  out: z.string().min(1).default(".cache/models/megrez-omni-demo"),
  seed: z.coerce.number().int().nonnegative().default(42),
});

try {
  const { values } = parseArgs({ options: { out: { type: "string" }, seed: { type: "string" } }, strict: true });
  const args = argsSchema.parse(values);
  const outDir = resolve(args.out);
  const started = Date.now();
  const { dims, omni } = writeOmniDemoModel({ outDir, seed: args.seed });
  console.log(
    `omni demo model written to ${outDir} (seed ${args.seed}, hidden ${dims.hiddenSize}, vision ${omni.vision.hiddenSize}×${omni.vision.numLayers}, audio ${omni.audio.hiddenSize}×${omni.audio.numLayers}) in ${Date.now() - started} ms; random weights: output is noise by design`,
  );
} catch (error) {
  console.error(`generate-omni-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
