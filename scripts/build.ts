/**
 * Builds what the product needs at run time and is not committed:
 * 1. the bundled demo model (tiny Megrez-3B-Omni-structure ONNX: LLaMA decoder,
 *    token embeddings, vision and audio encoders; seeded random weights),
 * 2. the local search index over the shipped corpus (docs/ by default),
 * 3. the widget bundle and demo page.
 * Used by `npm start`, `npm test` and CI. Each step prints its progress.
 *
 *   npx tsx scripts/build.ts [--corpus DIR] [--model-dir DIR] [--force]
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { writeFileAtomicSync } from "./atomic-write";

export const ROOT = join(import.meta.dirname, "..");
export const DEFAULT_MODEL_DIR = join(ROOT, ".cache", "models", "megrez-demo");
export const ASSETS_DIR = join(ROOT, "dist", "assets");

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A fingerprint of the generator's sources: the model is rebuilt when they change. */
const DEMO_MODEL_ARGS = ["container/generate-demo-model.ts", "--omni"];

function generatorFingerprint(): string {
  const hash = createHash("sha256").update(DEMO_MODEL_ARGS.join(" "));
  for (const file of filesUnder(join(ROOT, "container"))
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    hash.update(relative(ROOT, file)).update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

function run(step: string, args: string[]): void {
  const started = Date.now();
  process.stdout.write(`  • ${step}…\n`);
  const result = spawnSync(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(`${step} failed (exit ${result.status ?? result.signal}). Command: node --import tsx ${args.join(" ")}`);
  }
  process.stdout.write(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export function buildDemoModel(modelDir = DEFAULT_MODEL_DIR, force = false): void {
  const stampFile = join(modelDir, ".megrez-edge-stamp");
  const fingerprint = generatorFingerprint();
  if (!force && existsSync(stampFile) && readFileSync(stampFile, "utf8") === fingerprint) {
    process.stdout.write(`  • demo model is up to date (${relative(ROOT, modelDir)})\n`);
    return;
  }
  // The Omni variant: the text decoder plus tiny vision and audio towers, so the demo
  // exercises the image and audio paths too (text-only requests work the same).
  run("generating the demo model (random weights: its words are noise by design)", [...DEMO_MODEL_ARGS, "--out", modelDir]);
  writeFileAtomicSync(stampFile, fingerprint);
}

export function buildAssets(corpus = join(ROOT, "docs")): void {
  run(`indexing the local search corpus (${relative(ROOT, corpus) || corpus})`, [
    "scripts/build-index.ts",
    "--corpus",
    corpus,
    "--out",
    join(ASSETS_DIR, "corpus"),
  ]);
  run("bundling the chat widget", ["scripts/build-widget.ts", "--out", ASSETS_DIR]);
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      corpus: { type: "string" },
      "model-dir": { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  try {
    process.stdout.write("Building megrez-edge's local artifacts\n");
    buildDemoModel(values["model-dir"] ?? DEFAULT_MODEL_DIR, values.force);
    buildAssets(values.corpus);
  } catch (error) {
    process.stderr.write(`\nbuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
