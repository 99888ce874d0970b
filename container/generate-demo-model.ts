/**
 * CLI: write the demo model folder (tiny random LLaMA + Megrez tokenizer/template).
 *   npx tsx container/generate-demo-model.ts --out .cache/models/megrez-demo [--seed 42] [--omni] [--graph standard|fast] [--dtype fp32|fp16]
 * `--omni` adds the Megrez-Omni towers (vision encoder + resampler, audio encoder + projector) and switches the
 * decoder to its inputs_embeds variant; see docs/omni.md.
 * Same seed -> same bytes.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeDemoModel } from "./demo/write-demo-model";
import { writeOmniDemoModel } from "./omni/write-omni-demo-model";

const DEMO_REPETITION_PENALTY = 1.3;

const argsSchema = z.object({
  out: z.string().min(1).default(".cache/models/megrez-demo"),
  seed: z.coerce.number().int().nonnegative().default(42),
  omni: z.boolean().default(false),
  graph: z.enum(["standard", "fast"]).default("standard"),
  dtype: z.enum(["fp32", "fp16"]).default("fp32"),
});

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: "string" }, seed: { type: "string" }, omni: { type: "boolean" }, graph: { type: "string" }, dtype: { type: "string" } },
    strict: true,
  });
  const args = argsSchema.parse(values);
  const outDir = resolve(args.out);
  const started = Date.now();
  // Greedy decoding of random weights falls into short loops ("ab ab ab …"); a repetition penalty as the
  // model's default keeps the demo's noise varied. Requests that set their own penalty override it.
  const generationDefaults = { repetition_penalty: DEMO_REPETITION_PENALTY };
  const common = { outDir, seed: args.seed, generationDefaults, graph: args.graph, dtype: args.dtype };
  const { dims } = args.omni ? writeOmniDemoModel(common) : writeDemoModel(common);
  console.log(
    `demo model written to ${outDir} (seed ${args.seed}, vocab ${dims.vocabSize}, hidden ${dims.hiddenSize}, ${dims.numLayers} layers) in ${Date.now() - started} ms; random weights: its text is noise by design`,
  );
}

try {
  main();
} catch (error) {
  console.error(`generate-demo-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
