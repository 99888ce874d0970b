/**
 * Reads and validates a model folder (the layout written by the demo generator and the
 * converter): config.json, generation_config.json (optional), tokenizer.json,
 * tokenizer_config.json, engine.json (optional: which decoder graph) and onnx/model.onnx
 * (+ onnx/embed_tokens.onnx for the embeds variant). Every problem is collected and reported
 * together, naming the missing piece.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { GRAPH_METADATA_FILE, graphMetadataSchema } from "../model/graph-metadata";
import { type LlamaDims, dimsFromConfig, llamaConfigSchema } from "../model/llama-dims";
import { EngineError } from "./engine-errors";

const tokenSchema = z.union([z.string(), z.object({ content: z.string() }).transform((token) => token.content)]).nullish();

export const tokenizerConfigSchema = z.looseObject({
  chat_template: z.union([z.string(), z.array(z.object({ name: z.string(), template: z.string() }))]).optional(),
  eos_token: tokenSchema,
  pad_token: tokenSchema,
  bos_token: tokenSchema,
  add_bos_token: z.boolean().optional(),
  clean_up_tokenization_spaces: z.boolean().optional(),
  model_max_length: z.number().optional(),
});

const generationConfigSchema = z.looseObject({
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullish(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  repetition_penalty: z.number().optional(),
});

const tokenizerJsonSchema = z.looseObject({
  model: z.looseObject({ type: z.string().optional() }),
  added_tokens: z.array(z.looseObject({ id: z.number().int(), content: z.string(), special: z.boolean().optional() })).default([]),
});

export interface ModelFolder {
  dir: string;
  dims: LlamaDims;
  /** Raw JSON objects, handed to @huggingface/tokenizers as-is after validation. */
  tokenizerJson: z.infer<typeof tokenizerJsonSchema>;
  tokenizerConfig: z.infer<typeof tokenizerConfigSchema>;
  chatTemplate: string;
  /** Token ids that end generation (config + generation_config + tokenizer eos_token). */
  eosTokenIds: number[];
  generationDefaults: z.infer<typeof generationConfigSchema>;
  decoderPath: string;
  embedTokensPath: string | null;
  /** Which decoder graph onnx/model.onnx is (engine.json; "standard" when absent). */
  graph: "standard" | "fast";
  /** The generated demo model (random weights). */
  isDemo: boolean;
}

function readJson<T extends z.ZodType>(dir: string, file: string, schema: T, problems: string[], required: boolean): z.infer<T> | null {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) problems.push(`${file} is missing`);
    return null;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    problems.push(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    problems.push(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`).join("; ")}`);
    return null;
  }
  return parsed.data;
}

function pickTemplate(config: z.infer<typeof tokenizerConfigSchema>): string | null {
  const template = config.chat_template;
  if (typeof template === "string") return template;
  return template?.find((entry) => entry.name === "default")?.template ?? null;
}

function idsOf(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * @example
 *   const folder = loadModelFolder(".cache/models/megrez-demo");
 *   folder.dims.numLayers; folder.chatTemplate; folder.decoderPath;
 */
export function loadModelFolder(dir: string): ModelFolder {
  if (!existsSync(dir)) {
    throw new EngineError(
      "model_folder_invalid",
      `model folder ${dir} does not exist (generate the demo model with: npx tsx container/generate-demo-model.ts --out ${dir})`,
    );
  }
  const problems: string[] = [];
  const config = readJson(dir, "config.json", llamaConfigSchema, problems, true);
  const generation = readJson(dir, "generation_config.json", generationConfigSchema, problems, false);
  const tokenizerJson = readJson(dir, "tokenizer.json", tokenizerJsonSchema, problems, true);
  const tokenizerConfig = readJson(dir, "tokenizer_config.json", tokenizerConfigSchema, problems, true);
  const graphMetadata = readJson(dir, GRAPH_METADATA_FILE, graphMetadataSchema, problems, false);
  const decoderPath = join(dir, "onnx", "model.onnx");
  if (!existsSync(decoderPath)) problems.push("onnx/model.onnx is missing");
  const embedPath = join(dir, "onnx", "embed_tokens.onnx");
  const chatTemplate = tokenizerConfig ? pickTemplate(tokenizerConfig) : null;
  if (tokenizerConfig && !chatTemplate) problems.push("tokenizer_config.json has no chat_template");
  let dims: LlamaDims | null = null;
  if (config) {
    try {
      // The folder's decoder is our LLaMA graph: an Omni folder keeps its source's architectures/auto_map (MegrezO), which say nothing about it.
      dims = dimsFromConfig({ ...config, architectures: null, auto_map: null });
    } catch (error) {
      problems.push(`config.json: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const eosTokenIds = new Set([...idsOf(config?.eos_token_id), ...idsOf(generation?.eos_token_id)]);
  const eosText = tokenizerConfig?.eos_token;
  const eosFromTokenizer = tokenizerJson?.added_tokens.find((token) => token.content === eosText);
  if (eosFromTokenizer) eosTokenIds.add(eosFromTokenizer.id);
  if (tokenizerJson && eosTokenIds.size === 0) problems.push("no eos token id (config.json eos_token_id or tokenizer_config.json eos_token)");
  if (problems.length > 0 || !dims || !tokenizerJson || !tokenizerConfig || !chatTemplate) {
    throw new EngineError("model_folder_invalid", `model folder ${dir} is not usable: ${problems.join("; ")}`);
  }
  return {
    dir,
    dims,
    tokenizerJson,
    tokenizerConfig,
    chatTemplate,
    eosTokenIds: [...eosTokenIds],
    generationDefaults: generation ?? {},
    decoderPath,
    embedTokensPath: existsSync(embedPath) ? embedPath : null,
    graph: graphMetadata?.graph ?? "standard",
    isDemo: config?.megrez_edge?.demo === true,
  };
}
