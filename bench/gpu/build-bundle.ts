/**
 * Builds the GPU check's bundle: `npx tsx bench/gpu/build-bundle.ts` → .gpu-bundle/megrez-gpu-check/ (run.sh +
 * payload.tar.xz, at most 64 MiB; the folder is git-ignored, never committed). Copy that folder to an offline CUDA
 * host and run `./run.sh` there (no Node, no registry needed). The payload holds:
 *   - this machine's Node binary (stripped);
 *   - check.mjs: bench/gpu/check.ts and the engine bundled by esbuild (sharp replaced by a PPM reader: no libvips);
 *   - onnxruntime-node 1.29.0's JavaScript and binding, running on ONNX Runtime 1.29.0's core library and CUDA 13
 *     provider from the npm packages com.github.asus4.onnxruntime{,.linux-x64-gpu} 0.4.9, with the provider's device
 *     code for GPU generations other than Hopper (sm_90: H100, H200) zeroed (bench/gpu/cuda-fatbin.ts) so it fits.
 * Downloads go through `npm pack` (the registry's ordinary client) into .gpu-bundle/cache/ and are reused.
 * Options: --arch N (the kept CUDA architecture, default 90), --out DIR (default .gpu-bundle).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { z } from "zod";
import { keepOneArchitecture } from "./cuda-fatbin";

const ROOT = resolve(import.meta.dirname, "..", "..");
const LIMIT_BYTES = 64 * 2 ** 20;

/** Pinned packages: the CUDA 13 build of ONNX Runtime 1.29.0 on npm, and the onnxruntime-node release that matches it. */
const PACKAGES = {
  node: { spec: "onnxruntime-node@1.29.0", file: "onnxruntime-node-1.29.0.tgz" },
  common: { spec: "onnxruntime-common@1.29.0", file: "onnxruntime-common-1.29.0.tgz" },
  core: { spec: "com.github.asus4.onnxruntime@0.4.9", file: "com.github.asus4.onnxruntime-0.4.9.tgz" },
  cuda: { spec: "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9", file: "com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz" },
} as const;

const argsSchema = z.object({
  arch: z.coerce.number().int().positive().default(90),
  out: z.string().default(join(ROOT, ".gpu-bundle")),
});

function run(command: string, args: readonly string[], options: { cwd?: string } = {}): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 2 ** 20, ...options });
}

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The package tarball in the cache, fetched with `npm pack` when missing. */
function tarball(cache: string, pkg: { spec: string; file: string }): string {
  const path = join(cache, pkg.file);
  if (!existsSync(path)) {
    console.log(`fetching ${pkg.spec} (npm pack) ...`);
    run("npm", ["pack", pkg.spec, "--pack-destination", cache, "--silent"]);
  }
  if (!existsSync(path)) throw new Error(`npm pack ${pkg.spec} did not write ${pkg.file}`);
  return path;
}

/** Extracts `members` (paths inside the tarball, under package/) into `into`. */
function extract(archive: string, into: string, members: readonly string[]): void {
  mkdirSync(into, { recursive: true });
  run("tar", ["-xzf", archive, "-C", into, ...members.map((member) => `package/${member}`)]);
}

async function bundleCode(stage: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "bench", "gpu", "check.ts")],
    outfile: join(stage, "check.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    // Native packages ship as files beside the bundle; onnxruntime-web (the wasm provider) is not part of the check.
    external: ["onnxruntime-node", "onnxruntime-web", "koffi"],
    alias: { sharp: join(ROOT, "bench", "gpu", "sharp-ppm.ts") },
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning",
  });
}

function stageRuntime(stage: string, cache: string, arch: number): void {
  const unpacked = join(cache, "unpacked");
  rmSync(unpacked, { recursive: true, force: true });
  const binary = "bin/napi-v6/linux/x64";
  extract(tarball(cache, PACKAGES.node), join(unpacked, "node"), ["package.json", "dist", `${binary}/onnxruntime_binding.node`]);
  extract(tarball(cache, PACKAGES.common), join(unpacked, "common"), ["package.json", "dist"]);
  extract(tarball(cache, PACKAGES.core), join(unpacked, "core"), ["Plugins/Linux/x64/libonnxruntime.so"]);
  extract(tarball(cache, PACKAGES.cuda), join(unpacked, "cuda"), [
    "Plugins/Linux/x64/libonnxruntime_providers_cuda.so",
    "Plugins/Linux/x64/libonnxruntime_providers_shared.so",
  ]);
  const ortNode = join(stage, "node_modules", "onnxruntime-node");
  cpSync(join(unpacked, "node", "package"), ortNode, { recursive: true });
  cpSync(join(unpacked, "common", "package"), join(stage, "node_modules", "onnxruntime-common"), { recursive: true });
  const libs = join(ortNode, binary);
  // The binding links libonnxruntime.so.1 from its own folder; the core loads the providers from beside itself.
  copyFileSync(join(unpacked, "core", "package", "Plugins", "Linux", "x64", "libonnxruntime.so"), join(libs, "libonnxruntime.so.1"));
  copyFileSync(
    join(unpacked, "cuda", "package", "Plugins", "Linux", "x64", "libonnxruntime_providers_shared.so"),
    join(libs, "libonnxruntime_providers_shared.so"),
  );
  const cuda = new Uint8Array(readFileSync(join(unpacked, "cuda", "package", "Plugins", "Linux", "x64", "libonnxruntime_providers_cuda.so")));
  const blanked = keepOneArchitecture(cuda, arch);
  writeFileSync(join(libs, "libonnxruntime_providers_cuda.so"), cuda);
  console.log(
    `CUDA provider: kept sm_${arch} device code (${(blanked.keptBytes / 2 ** 20).toFixed(1)} MiB) in ${blanked.containers - blanked.untouched} of ${blanked.containers} fat binaries, zeroed ${(blanked.blankedBytes / 2 ** 20).toFixed(1)} MiB of other generations`,
  );
  rmSync(unpacked, { recursive: true, force: true });
}

/**
 * koffi, the FFI of the engine's native ONNX Runtime layer (container/runtime/): its JS and the prebuilt
 * linux-x64 glibc binary, without docs, C++ sources or the musl build. Without it the check would run on
 * onnxruntime-node's binding (the engine falls back, with a log line) and not measure the device-resident KV pool.
 */
function stageKoffi(stage: string, modules = join(ROOT, "node_modules")): void {
  const skip = new Set(["doc", "vendor", "lib", "abi", "CHANGELOG.md", "cnoke.cjs", "index.d.ts", "musl_x64", "CMakeLists.txt"]);
  const keep = (source: string): boolean => !skip.has(basename(source)) && !/\.(cc|hh|inc|def)$/.test(source);
  cpSync(join(modules, "koffi"), join(stage, "node_modules", "koffi"), { recursive: true, filter: keep });
  cpSync(join(modules, "@koromix", "koffi-linux-x64"), join(stage, "node_modules", "@koromix", "koffi-linux-x64"), { recursive: true, filter: keep });
}

function stageNode(stage: string): void {
  const target = join(stage, "node");
  copyFileSync(process.execPath, target);
  chmodSync(target, 0o755);
  if (has("strip")) run("strip", [target]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { arch: { type: "string" }, out: { type: "string" } }, strict: true });
  const args = argsSchema.parse(values);
  for (const tool of ["npm", "tar", "xz"]) if (!has(tool)) throw new Error(`${tool} is needed to build the bundle`);
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error("build the bundle on linux-x64: it carries this machine's Node binary");
  const out = resolve(args.out);
  const cache = join(out, "cache");
  const stage = join(out, "stage");
  const bundle = join(out, "megrez-gpu-check");
  mkdirSync(cache, { recursive: true });
  rmSync(stage, { recursive: true, force: true });
  rmSync(bundle, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  mkdirSync(bundle, { recursive: true });
  const started = performance.now();
  await bundleCode(stage);
  stageRuntime(stage, cache, args.arch);
  stageKoffi(stage);
  stageNode(stage);
  const commit = (() => {
    try {
      return run("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).trim();
    } catch {
      return "unknown";
    }
  })();
  writeFileSync(
    join(stage, "VERSION"),
    `${commit} (bundle built ${new Date().toISOString()}, Node ${process.version}, ONNX Runtime 1.29.0 + CUDA 13, sm_${args.arch})\n`,
  );
  console.log("compressing (xz -9e, x86 filter; a few minutes) ...");
  const payload = join(bundle, "payload.tar.xz");
  execFileSync("sh", ["-c", `tar -cf - -C "${stage}" . | xz --x86 --lzma2=preset=9e -T0 > "${payload}"`], { stdio: "inherit" });
  copyFileSync(join(ROOT, "bench", "gpu", "run.sh"), join(bundle, "run.sh"));
  chmodSync(join(bundle, "run.sh"), 0o755);
  rmSync(stage, { recursive: true, force: true });
  const size = statSync(payload).size + statSync(join(bundle, "run.sh")).size;
  console.log(
    `bundle: ${bundle} — ${(size / 2 ** 20).toFixed(2)} MiB (limit 64 MiB), built in ${((performance.now() - started) / 1000).toFixed(0)} s; run it on the GPU host as ${join(dirname(payload), "run.sh")}`,
  );
  if (size > LIMIT_BYTES) {
    console.error(`build-bundle: the bundle is ${(size / 2 ** 20).toFixed(2)} MiB, over the 64 MiB limit`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`build-bundle: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
