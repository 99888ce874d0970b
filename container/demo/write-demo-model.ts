/**
 * Writes a complete demo model folder, deterministically from a seed, in the same layout the
 * converter produces for real Megrez-3B: config.json, generation_config.json, tokenizer.json,
 * tokenizer_config.json (Megrez chat template) and onnx/model.onnx (tiny random LLaMA).
 * The folder is assembled in a sibling temp dir and renamed into place, so a crash never
 * leaves a half-written model behind.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { decoderGraphs, type DecoderGraphKind, typedWeightSource, weightTypeOf } from "../model/decoder-graphs";
import { GRAPH_METADATA_FILE } from "../model/graph-metadata";
import { llamaConfigJson, type LlamaDims } from "../model/llama-dims";
import { randomLlamaWeights } from "../model/random-weights";
import { encodeOnnxModel } from "../onnx/onnx-model";
import { tokenizerJson, trainByteLevelBpe } from "../tokenizer/byte-level-bpe";
import { DEMO_CORPUS } from "./demo-corpus";
import { readableTokenIds, suppressUnreadableTokens } from "./readable-output";
import { MEGREZ_CHAT_TEMPLATE, MEGREZ_EOS_TOKEN, MEGREZ_PAD_TOKEN, MEGREZ_SPECIAL_TOKENS, MEGREZ_UNK_TOKEN } from "./megrez-template";

export interface DemoModelOptions {
  outDir: string;
  seed?: number;
  /** BPE merges to learn (vocab = 256 + merges + 11 added tokens, fewer if the corpus runs out). */
  merges?: number;
  /** Override architecture sizes (vocab is always derived from the tokenizer). */
  dims?: Partial<Omit<LlamaDims, "vocabSize">>;
  /** More added special tokens after Megrez's (the Omni generator's image/audio placeholders). */
  extraSpecialTokens?: readonly string[];
  /** KV cache element type of the standard decoder (default float32; the fast graph's is its dtype). */
  kvType?: "float32" | "float16";
  /** Which decoder graph to write (default "standard"; "fast" = the contrib-op graph, docs/engine.md). */
  graph?: DecoderGraphKind;
  /** Weight storage, and for the fast graph its compute type (default fp32). */
  dtype?: "fp32" | "fp16";
  /** Sampling defaults written to generation_config.json (the engine applies them when a request omits them). */
  generationDefaults?: { repetition_penalty?: number; temperature?: number; top_p?: number; top_k?: number };
}

export const DEMO_DEFAULT_DIMS: Omit<LlamaDims, "vocabSize"> = {
  hiddenSize: 64,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  ropeTheta: 10000,
  rmsNormEps: 1e-6,
  maxPositionEmbeddings: 4096,
  tieWordEmbeddings: false,
};

export interface DemoModelResult {
  dims: LlamaDims;
  weights: Map<string, Float32Array>;
  eosTokenId: number;
  padTokenId: number;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function demoConfigJson(dims: LlamaDims, ids: { eosTokenId: number; padTokenId: number; seed: number }): object {
  return {
    ...llamaConfigJson(dims, { eosTokenId: ids.eosTokenId, padTokenId: ids.padTokenId, torchDtype: "float32" }),
    megrez_edge: { demo: true, seed: ids.seed, note: "random weights: output is noise by design" },
  };
}

function demoTokenizerConfigJson(maxLength: number): object {
  return {
    add_bos_token: false,
    add_eos_token: false,
    bos_token: null,
    eos_token: MEGREZ_EOS_TOKEN,
    pad_token: MEGREZ_PAD_TOKEN,
    unk_token: MEGREZ_UNK_TOKEN,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
    tokenizer_class: "PreTrainedTokenizerFast",
    chat_template: MEGREZ_CHAT_TEMPLATE,
  };
}

export function writeDemoModel(options: DemoModelOptions): DemoModelResult {
  const seed = options.seed ?? 42;
  const bpe = trainByteLevelBpe(DEMO_CORPUS, options.merges ?? 600);
  const { json: tokenizer, addedIds } = tokenizerJson(
    bpe,
    [...MEGREZ_SPECIAL_TOKENS, ...(options.extraSpecialTokens ?? [])].map((content) => ({ content, special: true })),
  );
  const idOf = (token: string): number => {
    const id = addedIds.get(token);
    if (id === undefined) throw new Error(`added token ${token} missing`);
    return id;
  };
  const dims: LlamaDims = { ...DEMO_DEFAULT_DIMS, ...options.dims, vocabSize: bpe.vocab.size + addedIds.size };
  const weights = randomLlamaWeights(dims, seed);
  const eosTokenId = idOf(MEGREZ_EOS_TOKEN);
  const padTokenId = idOf(MEGREZ_PAD_TOKEN);
  const lmHead = weights.get("lm_head.weight");
  if (lmHead) suppressUnreadableTokens(lmHead, dims, new Set([...readableTokenIds(bpe.vocab), eosTokenId]));

  const config = demoConfigJson(dims, { eosTokenId, padTokenId, seed });
  const generationConfig = { eos_token_id: eosTokenId, pad_token_id: padTokenId, bos_token_id: null, do_sample: false, ...options.generationDefaults };
  const tokenizerConfig = demoTokenizerConfigJson(dims.maxPositionEmbeddings);
  const choice = {
    graph: options.graph ?? "standard",
    dtype: options.dtype ?? "fp32",
    ...(options.kvType === undefined ? {} : { kvDtype: options.kvType === "float16" ? ("fp16" as const) : ("fp32" as const) }),
  };
  const graphs = decoderGraphs(choice, dims, typedWeightSource(weights, weightTypeOf(choice)), "ids");
  const model = encodeOnnxModel(graphs.decoder);

  const target = options.outDir;
  const staging = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "onnx"), { recursive: true });
  writeFileSync(join(staging, "config.json"), json(config));
  writeFileSync(join(staging, "generation_config.json"), json(generationConfig));
  writeFileSync(join(staging, "tokenizer.json"), json(tokenizer));
  writeFileSync(join(staging, "tokenizer_config.json"), json(tokenizerConfig));
  writeFileSync(join(staging, "onnx", "model.onnx"), model);
  writeFileSync(join(staging, GRAPH_METADATA_FILE), json(graphs.metadata));
  if (existsSync(target)) rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return { dims, weights, eosTokenId, padTokenId };
}
