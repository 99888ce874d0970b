/**
 * CLI: convert a Hugging Face LLaMA checkpoint (e.g. Megrez-3B-Instruct) to the engine's
 * model folder.
 *   npx tsx container/convert.ts --in HF_DIR --out DIR [--graph standard|fast] [--dtype fp16|fp32] [--kv-dtype fp32|fp16]
 * `--graph fast` writes the contrib-op decoder (GroupQueryAttention, fused norms; computes in --dtype, its KV
 * cache too): the one to serve on a GPU, and the faster one on CPU. The default standard graph runs everywhere.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { convertCheckpoint } from "./convert/convert-checkpoint";

const argsSchema = z.object({
  in: z.string({ error: "--in HF_DIR is required" }).min(1),
  out: z.string({ error: "--out DIR is required" }).min(1),
  dtype: z.enum(["fp16", "fp32"]).default("fp16"),
  "kv-dtype": z.enum(["fp16", "fp32"]).optional(),
  graph: z.enum(["standard", "fast"]).default("standard"),
});

function main(): void {
  const { values } = parseArgs({
    options: { in: { type: "string" }, out: { type: "string" }, dtype: { type: "string" }, "kv-dtype": { type: "string" }, graph: { type: "string" } },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
  const started = Date.now();
  const result = convertCheckpoint({
    inputDir: resolve(parsed.data.in),
    outputDir: resolve(parsed.data.out),
    dtype: parsed.data.dtype,
    ...(parsed.data["kv-dtype"] ? { kvDtype: parsed.data["kv-dtype"] } : {}),
    graph: parsed.data.graph,
    onProgress: ({ done, total, name, bytesWritten }) =>
      process.stderr.write(`[${done}/${total}] ${name} (${(bytesWritten / 2 ** 20).toFixed(0)} MiB written)\n`),
  });
  console.log(
    `converted ${result.tensors} tensors (${(result.bytes / 2 ** 30).toFixed(2)} GiB, ${parsed.data.graph} graph, ${parsed.data.dtype}) to ${resolve(parsed.data.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

try {
  main();
} catch (error) {
  console.error(`convert: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
