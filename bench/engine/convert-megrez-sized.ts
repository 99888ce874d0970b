/**
 * The converter at Megrez-3B scale (`npx tsx bench/engine/convert-megrez-sized.ts --dir /big/disk`):
 *  1. writes a random BF16 checkpoint with Megrez-3B-Instruct's real dimensions and tensor names,
 *     in two shards with a model.safetensors.index.json, as the published checkpoint is laid out;
 *  2. converts it with `container/convert.ts` in a child process under /usr/bin/time (wall time,
 *     peak RSS: the converter must stream, not hold the model);
 *  3. loads the converted folder in the engine (CPU) in another child and generates a few tokens.
 * Needs about 12 GB of free disk in --dir (checkpoint + fp16 output), removed at the end.
 * Options: --dir DIR (default the OS temp dir), --dtype fp16|fp32 (default fp16), --keep.
 */
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeDemoModel } from "../../container/demo/write-demo-model";
import { MEGREZ_3B_DIMS, llamaConfigJson, llamaWeightShapes } from "../../container/model/llama-dims";
import { createRandom } from "../../container/model/seeded-random";

const argsSchema = z.object({
  dir: z.string().default(tmpdir()),
  dtype: z.enum(["fp16", "fp32"]).default("fp16"),
  keep: z.boolean().default(false),
});

interface HfTensor {
  name: string;
  shape: number[];
}

/** HF names and shapes: Linear weights are stored [out, in], ours are [in, out]. */
function hfTensors(): HfTensor[] {
  return [...llamaWeightShapes(MEGREZ_3B_DIMS)].map(([name, shape]) => ({
    name,
    shape: name.endsWith("_proj.weight") || name === "lm_head.weight" ? [...shape].reverse() : shape,
  }));
}

/** One safetensors shard, header first, then each tensor's random BF16 values written as generated. */
function writeShard(path: string, tensors: readonly HfTensor[], random: () => number): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.shape.reduce((product, dim) => product * dim, 1) * 2;
    header[tensor.name] = { dtype: "BF16", shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openSync(path, "w");
  try {
    writeSync(fd, length);
    writeSync(fd, headerBytes);
    for (const tensor of tensors) writeRandomBf16(fd, tensor, random);
  } finally {
    closeSync(fd);
  }
}

/** Norm weights are 1; the rest uniform in ±0.02 (bf16 = the top half of the float32 bits). */
function writeRandomBf16(fd: number, tensor: HfTensor, random: () => number): void {
  const count = tensor.shape.reduce((product, dim) => product * dim, 1);
  const chunk = new Float32Array(1 << 22);
  const bits = new Uint32Array(chunk.buffer);
  const out = new Uint16Array(chunk.length);
  for (let start = 0; start < count; start += chunk.length) {
    const size = Math.min(chunk.length, count - start);
    for (let index = 0; index < size; index++) chunk[index] = tensor.name.endsWith("norm.weight") ? 1 : (random() - 0.5) * 0.04;
    for (let index = 0; index < size; index++) out[index] = (bits[index] ?? 0) >>> 16;
    writeSync(fd, out, 0, size * 2);
  }
}

function writeCheckpoint(dir: string): { gib: number; seconds: number } {
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  const tensors = hfTensors();
  const half = Math.ceil(tensors.length / 2);
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap: Record<string, string> = {};
  const random = createRandom(11);
  let bytes = 0;
  for (const [index, shard] of shards.entries()) {
    const file = `model-0000${index + 1}-of-00002.safetensors`;
    writeShard(join(dir, file), shard, random);
    for (const tensor of shard) {
      weightMap[tensor.name] = file;
      bytes += tensor.shape.reduce((product, dim) => product * dim, 1) * 2;
    }
  }
  writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: bytes }, weight_map: weightMap }));
  // Tokenizer files from the demo model: the converter copies them; ids stay below the demo vocab.
  const demo = writeDemoModel({ outDir: join(dir, "demo-tokenizer"), seed: 1 });
  for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(dir, "demo-tokenizer", file), join(dir, file));
  rmSync(join(dir, "demo-tokenizer"), { recursive: true, force: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(llamaConfigJson(MEGREZ_3B_DIMS, { eosTokenId: demo.eosTokenId, torchDtype: "bfloat16" })));
  return { gib: bytes / 2 ** 30, seconds: (performance.now() - started) / 1000 };
}

/** Runs a command under GNU time; returns its wall seconds and peak RSS. */
function timed(command: string[], label: string): { seconds: number; peakGiB: number; stdout: string } {
  const result = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", ...command], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  const match = /TIME ([\d.]+) (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !match) throw new Error(`${label} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  return { seconds: Number(match[1]), peakGiB: Number(match[2]) / 2 ** 20, stdout: result.stdout };
}

const LOAD_SCRIPT = `
import { createEngine } from "./container/engine/create-engine.ts";
import { DEFAULT_SAMPLING } from "./container/engine/sampling-params.ts";
const engine = await createEngine({ modelDir: process.argv[1], executionProvider: "cpu", maxBatch: 1, maxQueue: 1, requestTimeoutMs: 0 });
const promptIds = engine.codec.encodeChat([{ role: "user", content: "Hello" }], true);
const started = performance.now();
let ids = [];
for await (const event of engine.scheduler.submit({ promptIds, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 4, ignoreEos: true } })) if (event.type === "finish") ids = event.tokenIds;
console.log(JSON.stringify({ prompt: promptIds.length, ids, ms: performance.now() - started }));
await engine.release();
`;

function main(): void {
  const { values } = parseArgs({ options: { dir: { type: "string" }, dtype: { type: "string" }, keep: { type: "boolean" } } });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(args.dir, "convert-megrez-"));
  try {
    const input = join(root, "hf");
    const output = join(root, "converted");
    const written = writeCheckpoint(input);
    console.log(`Random Megrez-3B-Instruct-shaped checkpoint: ${written.gib.toFixed(2)} GiB BF16 in 2 shards, written in ${written.seconds.toFixed(0)} s.`);
    const convert = timed([process.execPath, "--import", "tsx", "container/convert.ts", "--in", input, "--out", output, "--dtype", args.dtype], "convert");
    console.log(`Converter (${args.dtype}): ${convert.seconds.toFixed(0)} s wall, peak RSS ${convert.peakGiB.toFixed(2)} GiB. ${convert.stdout.trim()}`);
    const load = timed([process.execPath, "--import", "tsx", "--input-type=module", "-e", LOAD_SCRIPT, output], "load");
    const generated = z
      .object({ prompt: z.number(), ids: z.array(z.number()), ms: z.number() })
      .parse(JSON.parse(load.stdout.trim().split("\n").at(-1) ?? "{}"));
    console.log(
      `Engine on the converted folder (cpu): load + ${generated.prompt}-token prompt + ${generated.ids.length} greedy tokens ${load.seconds.toFixed(0)} s wall, generation ${(generated.ms / 1000).toFixed(1)} s, peak RSS ${load.peakGiB.toFixed(2)} GiB; tokens ${generated.ids.join(",")}.`,
    );
  } finally {
    if (!args.keep) rmSync(root, { recursive: true, force: true });
  }
}

main();
