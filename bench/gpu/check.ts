/**
 * The GPU check, one command (`bench/gpu/run.sh`, or `npx tsx bench/gpu/check.ts` in a checkout): on a CUDA host,
 * within an 8-minute budget,
 *   1. CPU↔CUDA parity of the fast graph (bench/gpu/parity.ts);
 *   2. a Megrez-3B-Omni-sized random model, fast fp16 decoder, written on the host (bench/omni/write-sized-omni-model.ts);
 *   3. decode steps at batch 1 and 8 with 256 and 2 048 cached tokens (bench/gpu/step-bench.ts);
 *   4. the seed's speed setup, 8 × (128 text + 448 image tokens) → 128 tokens, and 32 concurrent sequences vs 8
 *      (bench/gpu/throughput.ts);
 * and writes a Markdown report (and JSON) beside the figures' targets from issue #12. `--dry-run` runs the same
 * script on the CPU with small models, end to end; its figures say nothing about a GPU and no target is judged.
 * Options: --dry-run, --out FILE (report, default gpu-check-report.md), --work DIR (models; default a temp folder,
 * removed after), --fixtures DIR (the sample image; default test/fixtures/omni), --synthetic-image (a generated
 * 720×1480 PPM instead: the bundle carries no JPEG codec), --budget-s N (default 480).
 * Exit code 1 when parity fails or a section fails.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createEngine, type Engine } from "../../container/engine/create-engine";
import { loadModelFolder } from "../../container/engine/model-folder";
import { loadOmniEmbedder } from "../../container/omni/omni-support";
import { writeOmniDemoModel } from "../../container/omni/write-omni-demo-model";
import type { ExecutionProvider } from "../../container/runtime/inference-session";
import { cudaProviderInstalled, onnxRuntimeVersion } from "../../container/runtime/onnx-backend";
import { writeSizedOmniModel } from "../omni/write-sized-omni-model";
import { checkParity } from "./parity";
import { syntheticPpm } from "./ppm-image";
import { openStepTimer, type StepTiming } from "./step-bench";
import { concurrencyScaling, seedSpeedSetup } from "./throughput";

const argsSchema = z.object({
  "dry-run": z.boolean().default(false),
  out: z.string().default("gpu-check-report.md"),
  work: z.string().optional(),
  fixtures: z.string().optional(),
  "synthetic-image": z.boolean().default(false),
  "budget-s": z.coerce.number().positive().default(480),
});

/** Issue #12's GPU targets, judged only on a GPU run. */
const TARGETS = { batch1StepMs: 4, longContextRatio: 1.5, prefillTokPerS: 6313, decodeTokPerS: 1295, scaling32over8: 2 };

interface Plan {
  device: ExecutionProvider;
  parityTokens: number;
  contexts: readonly number[];
  batches: readonly number[];
  steps: number;
  outputTokens: number;
  /** Image prompts prepared (and timed) for the speed setup; the other requests reuse them (same image). */
  distinctPrompts: number;
  /** Output tokens per sequence when comparing 32 concurrent sequences with 8. */
  scalingTokens: number;
  writeModel(dir: string): void;
}

const GPU_PLAN: Plan = {
  device: "cuda",
  parityTokens: 32,
  contexts: [256, 2048],
  batches: [1, 8],
  steps: 8,
  outputTokens: 128,
  distinctPrompts: 8,
  scalingTokens: 64,
  writeModel: (dir) => void writeSizedOmniModel({ outDir: dir, graph: "fast" }),
};

const DRY_PLAN: Plan = {
  device: "cpu",
  parityTokens: 8,
  contexts: [256, 2048],
  batches: [1, 8],
  steps: 3,
  outputTokens: 8,
  distinctPrompts: 1,
  scalingTokens: 8,
  writeModel: (dir) => void writeOmniDemoModel({ outDir: dir, seed: 5, graph: "fast", dtype: "fp16" }),
};

function gpuName(): string {
  try {
    return execFileSync("nvidia-smi", ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown (nvidia-smi not found)";
  }
}

class Report {
  readonly lines: string[] = [];
  readonly data: Record<string, unknown> = {};
  failed = false;

  add(...lines: string[]): void {
    this.lines.push(...lines);
    for (const line of lines) console.log(line);
  }

  /** Runs a section; a failure is reported and marks the run failed, and the next section still runs. */
  async section(title: string, body: () => Promise<void>): Promise<void> {
    this.add("", `## ${title}`, "");
    const started = performance.now();
    try {
      await body();
    } catch (error) {
      this.failed = true;
      this.add(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    this.add("", `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

function verdict(dryRun: boolean, met: boolean): string {
  if (dryRun) return "not judged (dry run on CPU)";
  return met ? "met" : "NOT met";
}

/** The measured batch-`batch` step at the shortest context (50 ms when the step section failed). */
function stepMs(steps: readonly StepTiming[], batch: number): number {
  return steps.filter((step) => step.batch === batch).sort((left, right) => left.context - right.context)[0]?.ms ?? 50;
}

/** Output tokens that fit `budgetMs` at `stepMs` per decode step (and as many again for the prefill runs), within [4, wanted]. */
function tokensWithin(budgetMs: number, stepMs: number, wanted: number): number {
  return Math.max(4, Math.min(wanted, Math.floor(budgetMs / (stepMs * 1.5))));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "dry-run": { type: "boolean" },
      out: { type: "string" },
      work: { type: "string" },
      fixtures: { type: "string" },
      "synthetic-image": { type: "boolean" },
      "budget-s": { type: "string" },
    },
    strict: true,
  });
  const args = argsSchema.parse(values);
  const dryRun = args["dry-run"];
  const plan = dryRun ? DRY_PLAN : GPU_PLAN;
  const deadline = performance.now() + args["budget-s"] * 1000;
  if (!dryRun && !cudaProviderInstalled()) {
    throw new Error("no CUDA execution provider next to onnxruntime-node (run the bundle built by bench/gpu/build-bundle.ts, or pass --dry-run)");
  }
  const work = args.work ? resolve(args.work) : mkdtempSync(join(tmpdir(), "megrez-gpu-check-"));
  mkdirSync(work, { recursive: true });
  const fixtures = args.fixtures ? resolve(args.fixtures) : new URL("../../test/fixtures/omni/", import.meta.url).pathname;
  const image = args["synthetic-image"] ? syntheticPpm(720, 1480) : new Uint8Array(readFileSync(join(fixtures, "sample_image.jpg")));
  const report = new Report();
  report.add(
    `# Megrez engine GPU check${dryRun ? " (DRY RUN on CPU: small models, no GPU figures)" : ""}`,
    "",
    `- device: ${dryRun ? `cpu (${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)})` : gpuName()}`,
    `- ONNX Runtime ${await onnxRuntimeVersion()}, Node ${process.version}, code ${process.env.MEGREZ_CHECK_COMMIT ?? "unknown commit"}`,
    `- started ${new Date().toISOString()}, budget ${args["budget-s"]} s; image: ${args["synthetic-image"] ? "a generated 720×1480 RGB picture (PPM)" : "test/fixtures/omni/sample_image.jpg (720×1480 JPEG)"}`,
  );
  const steps: StepTiming[] = [];
  try {
    await report.section("1. CPU↔CUDA parity (fast graph)", async () => {
      const parity = await checkParity({ workDir: work, device: plan.device, tokens: plan.parityTokens });
      report.add(...parity.lines);
      report.data.parity = parity.passed;
      if (!parity.passed) report.failed = true;
    });
    const modelDir = join(work, "megrez-omni-sized");
    await report.section(`2. ${dryRun ? "Tiny" : "Megrez-3B-Omni-sized"} random model (fast graph, fp16)`, async () => {
      const started = performance.now();
      plan.writeModel(modelDir);
      const folder = loadModelFolder(modelDir);
      const { dims } = folder;
      report.add(
        `Written in ${((performance.now() - started) / 1000).toFixed(1)} s: hidden ${dims.hiddenSize}, ${dims.numLayers} layers, ${dims.numHeads}/${dims.numKvHeads} heads × ${dims.headDim}, vocab ${dims.vocabSize}, graph ${folder.graph}, with vision and audio towers.`,
      );
    });
    await report.section("3. Decode step (engine's fast-graph step)", async () => {
      const timer = await openStepTimer(loadModelFolder(modelDir), plan.device);
      try {
        report.add(`Path: ${timer.path}.`, "", "| cached tokens per sequence | batch | step (ms) | tok/s (all sequences) |", "|---|---|---|---|");
        for (const context of plan.contexts) {
          for (const batch of plan.batches) {
            const timing = await timer.time(batch, context, plan.steps);
            steps.push(timing);
            report.add(`| ${context} | ${batch} | ${timing.ms.toFixed(2)} | ${((1000 * batch) / timing.ms).toFixed(1)} |`);
          }
        }
      } finally {
        await timer.release();
      }
      const at = (context: number, batch: number) => steps.find((step) => step.context === context && step.batch === batch)?.ms ?? Number.NaN;
      const [short, long] = [plan.contexts[0] ?? 0, plan.contexts.at(-1) ?? 0];
      const ratio = at(long, 1) / at(short, 1);
      report.data.steps = steps;
      report.add(
        "",
        `Target batch 1 at ${short} cached tokens ≤ ${TARGETS.batch1StepMs} ms: ${at(short, 1).toFixed(2)} ms, ${verdict(dryRun, at(short, 1) <= TARGETS.batch1StepMs)}.`,
        `Target ${long}-token step ≤ ${TARGETS.longContextRatio}× the ${short}-token step (batch 1): ${ratio.toFixed(2)}×, ${verdict(dryRun, ratio <= TARGETS.longContextRatio)}.`,
      );
    });
    let engine: Engine | null = null;
    const engineLog: string[] = [];
    await report.section("4. The seed's speed setup: 8 × (128 text + 448 image tokens) → 128 tokens", async () => {
      engine = await createEngine({
        modelDir,
        executionProvider: plan.device,
        maxBatch: 32,
        maxQueue: 64,
        requestTimeoutMs: 0,
        mediaEmbedder: loadOmniEmbedder,
        log: (line) => engineLog.push(line),
      });
      report.add(`Engine: ${engine.runtimeKind} runtime on ${engine.executionProvider}. ${engineLog.join(" ")}`, "");
      const outputTokens = tokensWithin((deadline - performance.now()) * 0.4, stepMs(steps, 8), plan.outputTokens);
      const figures = await seedSpeedSetup(engine, { image, outputTokens, repeats: 1, distinctPrompts: plan.distinctPrompts });
      report.data.seedSetup = figures;
      report.add(
        `Prompt ${figures.promptTokens} tokens (${figures.textTokens} text, ${figures.imageTokens} image); ${outputTokens} output tokens${outputTokens < plan.outputTokens ? ` (fewer than ${plan.outputTokens}, to fit the budget)` : ""}; media preparation ${figures.prepareMsPerImage.toFixed(0)} ms per image (decode, slicing, vision tower; before queueing).`,
        "",
        "| measure | ours | vLLM, H100 (the seed's figure) | target |",
        "|---|---|---|---|",
        `| prefill, 8 sequences | ${figures.prefillTokPerS.toFixed(0)} tok/s | 6 312.66 tok/s | ${verdict(dryRun, figures.prefillTokPerS >= TARGETS.prefillTokPerS)} |`,
        `| decode, aggregate | ${figures.decodeTokPerS.toFixed(1)} tok/s | 1 294.9 tok/s | ${verdict(dryRun, figures.decodeTokPerS >= TARGETS.decodeTokPerS)} |`,
      );
    });
    await report.section("5. 32 concurrent sequences vs 8 (aggregate decode)", async () => {
      if (engine === null) throw new Error("no engine (section 4 failed to load the model)");
      const outputTokens = tokensWithin((deadline - performance.now()) * 0.8, stepMs(steps, 8) * 15, plan.scalingTokens);
      const figures = await concurrencyScaling(engine, { promptTokens: 576, outputTokens, levels: [8, 32], repeats: 1 });
      const eight = figures.decodeTokPerS.get(8) ?? Number.NaN;
      const thirtyTwo = figures.decodeTokPerS.get(32) ?? Number.NaN;
      report.data.concurrency = Object.fromEntries(figures.decodeTokPerS);
      report.add(
        `Text prompts of ${figures.promptTokens} tokens; ${outputTokens} output tokens each; decode counted from the moment every sequence holds its first token.`,
        "",
        "| concurrent sequences | aggregate decode tok/s |",
        "|---|---|",
        `| 8 | ${eight.toFixed(1)} |`,
        `| 32 | ${thirtyTwo.toFixed(1)} |`,
        "",
        `Target 32 ≥ ${TARGETS.scaling32over8}× 8: ${(thirtyTwo / eight).toFixed(2)}×, ${verdict(dryRun, thirtyTwo / eight >= TARGETS.scaling32over8)}.`,
      );
    });
    await (engine as Engine | null)?.release();
  } finally {
    if (!args.work) rmSync(work, { recursive: true, force: true });
  }
  report.add("", `Result: ${report.failed ? "FAILED (see above)" : "completed"}${dryRun ? " — dry run: these figures are not GPU figures" : ""}.`);
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${report.lines.join("\n")}\n`);
  writeFileSync(`${out.replace(/\.md$/, "")}.json`, `${JSON.stringify({ dryRun, failed: report.failed, ...report.data }, null, 2)}\n`);
  console.log(`\nreport written to ${out}`);
  if (report.failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`gpu check: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
