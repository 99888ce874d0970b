/**
 * Builds the embeddable widget: bundles workers/widget/client/main.ts into one
 * minified IIFE (`widget.js`, global `MegrezChat`), checks its gzipped size
 * against the 30 KB budget (the build fails above it) and copies the demo page
 * the worker serves at `/`. `zod` is swapped for the zod/mini-backed shim at
 * bundle time (see workers/widget/client/zod-classic-shim.ts).
 *
 * Usage: npx tsx scripts/build-widget.ts --out dist/assets
 */
import { build, type Plugin } from "esbuild";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { writeFileAtomicSync } from "./atomic-write";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const clientDir = join(repoRoot, "workers", "widget", "client");
const demoDir = join(repoRoot, "workers", "widget", "demo");

/** Gzipped size budget of widget.js, in bytes. */
export const widgetGzipBudget = 30 * 1024;

/** Resolves the bare `zod` import (classic API) to the zod/mini-backed shim. */
export const zodShimPlugin: Plugin = {
  name: "zod-classic-shim",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^zod$/ }, () => ({ path: join(clientDir, "zod-classic-shim.ts") }));
  },
};

/** Bundles `entry` for browsers with the shim; returns the code. */
export async function bundleForBrowser(input: { entry: string; format: "iife" | "esm"; minify: boolean }): Promise<string> {
  const result = await build({
    entryPoints: [input.entry],
    bundle: true,
    write: false,
    format: input.format,
    minify: input.minify,
    target: ["chrome111", "firefox111", "safari16.4"],
    legalComments: "none",
    charset: "utf8",
    plugins: [zodShimPlugin],
    inject: [join(clientDir, "private-global-scope.ts")],
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no output");
  return output.text;
}

export interface WidgetBuild {
  bytes: number;
  gzipBytes: number;
}

/** Builds into `outDir`; throws (writing nothing) when the bundle is over `budgetBytes` gzipped. */
export async function buildWidget(outDir: string, budgetBytes = widgetGzipBudget): Promise<WidgetBuild> {
  const code = await bundleForBrowser({ entry: join(clientDir, "main.ts"), format: "iife", minify: true });
  const gzipBytes = gzipSync(code, { level: 9 }).byteLength;
  if (gzipBytes > budgetBytes) {
    throw new Error(`widget.js is ${gzipBytes} bytes gzipped, over the ${budgetBytes}-byte budget`);
  }
  mkdirSync(outDir, { recursive: true });
  writeFileAtomicSync(join(outDir, "widget.js"), code);
  for (const file of ["index.html", "demo.css"]) writeFileAtomicSync(join(outDir, file), readFileSync(join(demoDir, file)));
  return { bytes: Buffer.byteLength(code), gzipBytes };
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: "string", default: "dist/assets" } } });
  const outDir = resolve(values.out);
  const result = await buildWidget(outDir);
  const kilobytes = (bytes: number) => (bytes / 1024).toFixed(1);
  console.log(
    `widget.js: ${kilobytes(result.bytes)} KB, ${kilobytes(result.gzipBytes)} KB gzipped (budget ${kilobytes(widgetGzipBudget)} KB) -> ${join(outDir, "widget.js")}`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`build-widget: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
