/**
 * CLI: convert a Megrez-3B-Omni Hugging Face checkpoint to an Omni model folder for the engine.
 *   npx tsx container/omni/convert-omni.ts --in HF_DIR --out DIR [--graph standard|fast] [--dtype fp16|fp32] [--tokens tokens.json]
 * `tokens.json` names the checkpoint tokenizer's placeholder tokens as in config.json's `megrez_omni.tokens`
 * ({"image_start": …, "image_pad": …, …}); without it the folder uses our token names, which a real Megrez
 * tokenizer may not have (media requests then fail with a clear error until they are set).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { convertOmniCheckpoint } from "./convert-omni-checkpoint";
import { omniConfigSchema, omniTokensFromJson } from "./omni-dims";

const argsSchema = z.object({
  in: z.string({ error: "--in HF_DIR is required" }).min(1),
  out: z.string({ error: "--out DIR is required" }).min(1),
  dtype: z.enum(["fp16", "fp32"]).default("fp16"),
  tokens: z.string().optional(),
  graph: z.enum(["standard", "fast"]).default("standard"),
});

const tokensSchema = omniConfigSchema.shape.tokens.unwrap();

try {
  const { values } = parseArgs({
    options: { in: { type: "string" }, out: { type: "string" }, dtype: { type: "string" }, tokens: { type: "string" }, graph: { type: "string" } },
    strict: true,
  });
  const args = argsSchema.parse(values);
  const tokens = args.tokens === undefined ? undefined : tokensSchema.parse(JSON.parse(readFileSync(args.tokens, "utf8")));
  const started = Date.now();
  const result = convertOmniCheckpoint({
    inputDir: resolve(args.in),
    outputDir: resolve(args.out),
    dtype: args.dtype,
    graph: args.graph,
    ...(tokens === undefined ? {} : { tokens: omniTokensFromJson(tokens) }),
    onProgress: ({ done, total, name }) => process.stderr.write(`[${done}/${total}] ${name}\n`),
  });
  console.log(`converted ${result.tensors} tensors to ${resolve(args.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(
    `convert-omni: ${error instanceof z.ZodError ? error.issues.map((issue) => issue.message).join("; ") : error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
