/**
 * Omni benchmark (`npx tsx bench/omni/run.ts`), all in one run:
 *  1. preprocessing: ms per 720×1480 image and per 10 s of audio, ours vs transformers.js doing the same work;
 *  2. the published Megrez-3B-Omni speed setup (128 text tokens + the sample image → 128 output tokens, 8 concurrent)
 *     on our engine: media preparation ms per image, prefill tok/s, decode tok/s.
 * Defaults: the tiny random Omni model, generated into a temp folder, on CPU. On a GPU host point it at a converted or
 * Megrez-sized folder: `--model DIR --ep cuda` (published H100 vLLM anchors: prefill 6312.66 tok/s, decode 1294.9 tok/s).
 * Options: --concurrency N (8), --text-tokens N (128), --output-tokens N (128), --repeats N (3), --threads N (0 = ORT default).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createEngine } from "../../container/engine/create-engine";
import { loadOmniEmbedder } from "../../container/omni/omni-support";
import { writeOmniDemoModel } from "../../container/omni/write-omni-demo-model";
import { engineBench } from "./engine-bench";
import { preprocessBench } from "./preprocess-bench";

const argsSchema = z.object({
  model: z.string().optional(),
  ep: z.enum(["auto", "cpu", "cuda", "wasm"]).default("cpu"),
  concurrency: z.coerce.number().int().positive().default(8),
  "text-tokens": z.coerce.number().int().positive().default(128),
  "output-tokens": z.coerce.number().int().min(2).default(128),
  repeats: z.coerce.number().int().positive().default(3),
  threads: z.coerce.number().int().nonnegative().default(0),
});

const PUBLISHED = { prefill: 6312.66, decode: 1294.9 };
const fixed = (value: number, digits = 1) => value.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(argsSchema.shape).map((key) => [key, { type: "string" as const }])),
    strict: true,
  });
  const args = argsSchema.parse(values);
  const scratch = args.model === undefined ? mkdtempSync(join(tmpdir(), "omni-bench-")) : null;
  const modelDir = args.model ?? join(scratch!, "megrez-omni-tiny");
  if (scratch !== null) writeOmniDemoModel({ outDir: modelDir, seed: 42 });
  try {
    const pre = await preprocessBench(Math.max(3, args.repeats));
    const engine = await createEngine({
      modelDir,
      executionProvider: args.ep,
      threads: args.threads,
      maxBatch: args.concurrency,
      maxQueue: args.concurrency * 2,
      requestTimeoutMs: 0,
      mediaEmbedder: loadOmniEmbedder,
    });
    try {
      const run = await engineBench(engine, {
        concurrency: args.concurrency,
        textTokens: args["text-tokens"],
        outputTokens: args["output-tokens"],
        repeats: args.repeats,
      });
      const model = scratch !== null ? "tiny random Omni (hidden 64, 2 layers; towers 32 wide)" : modelDir;
      console.log(`\n### Omni benchmark — ${model}, ep ${engine.executionProvider}, node ${process.version}\n`);
      console.log("| preprocessing (median) | ours | transformers.js | ratio |");
      console.log("|---|---|---|---|");
      console.log(
        `| 720×1480 image → 7 slices (decode, resize, crop, normalize, layout) | ${fixed(pre.imageOursMs)} ms | ${fixed(pre.imagePeerMs)} ms | ${fixed(pre.imagePeerMs / pre.imageOursMs, 2)}× |`,
      );
      console.log(
        `| 10 s audio → 128×3000 log-mel (same 16 kHz waveform) | ${fixed(pre.audioLogMelOursMs)} ms | ${fixed(pre.audioLogMelPeerMs)} ms | ${fixed(pre.audioLogMelPeerMs / pre.audioLogMelOursMs, 2)}× |`,
      );
      console.log(`| 10 s audio, our full path (WAV decode + 24→16 kHz resample + log-mel + encoder frames) | ${fixed(pre.audioFullPathOursMs)} ms | – | – |`);
      console.log(
        `\nlog-mel max |ours − transformers.js| = ${pre.audioMaxAbsDiff.toExponential(2)}; image: mean |ours − peer| = ${fixed(pre.imagePixelMeanAbsDiff, 2)} grey levels (the peer's sharp-affine bicubic is not Pillow's antialiased bicubic, which ours reproduces)\n`,
      );
      console.log(
        `| speed setup: ${args.concurrency} × (${run.textTokens} text + ${run.imageTokens} image tokens; ${run.promptTokens} prompt tokens) → ${args["output-tokens"]} tokens | value |`,
      );
      console.log("|---|---|");
      console.log(`| media preparation per image (decode, slice, vision tower) | ${fixed(run.prepareMsPerImage)} ms |`);
      console.log(`| prefill (decoder, ${args.concurrency} prompts) | ${fixed(run.prefillMs)} ms → ${fixed(run.prefillTokPerS)} tok/s |`);
      const decode =
        Number.isFinite(run.decodeTokPerS) && run.decodeTokPerS > 0
          ? `${fixed(run.decodeTokPerS)} tok/s`
          : "n/a (too few output tokens to separate decode from prefill time)";
      console.log(`| decode (aggregate, ${run.outputTokens} tokens) | ${decode} |`);
      console.log(`| published anchor (H100, vLLM) | prefill ${PUBLISHED.prefill} tok/s, decode ${PUBLISHED.decode} tok/s |`);
    } finally {
      await engine.release();
    }
  } finally {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench/omni: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
