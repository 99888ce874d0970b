#!/usr/bin/env node
/**
 * `npm test`: installs dependencies if needed, builds the local artifacts
 * (demo model, search index, widget), checks formatting and lint (Biome) and
 * that the worker's generated types match wrangler.toml, type-checks every runtime's project
 * (tsc --noEmit for each tsconfig.<runtime>.json), makes sure Debian chromium
 * is there for the browser tests, then runs every vitest project (node,
 * workers inside workerd, e2e across real processes, browser).
 * Extra arguments go to vitest, e.g. `npm test -- --project node`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDependencies } from "./start.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

function step(title, command, args) {
  process.stdout.write(`\n== ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...quiet } });
  process.stdout.write(`   (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return result.status ?? 1;
}

function fail(title, status) {
  process.stderr.write(`\nnpm test: ${title} failed (exit ${status})\n`);
  process.exit(status || 1);
}

ensureDependencies();
const bin = (name) => join(root, "node_modules", ".bin", name);

let status = step("build (demo model, search index, widget)", process.execPath, ["--import", "tsx", "scripts/build.ts"]);
if (status !== 0) fail("build", status);

status = step("format and lint (biome ci; `npx biome check --write .` fixes)", bin("biome"), ["ci", "--reporter=summary", "."]);
if (status !== 0) fail("format and lint", status);

status = step("worker types match wrangler.toml (`npm run types` regenerates them)", bin("wrangler"), [
  "types",
  "workers/worker-configuration.d.ts",
  "--include-runtime=false",
  "--strict-vars=false",
  "--check",
]);
if (status !== 0) fail("worker types", status);

const projects = readdirSync(root)
  .filter((f) => /^tsconfig\.[\w-]+\.json$/.test(f) && f !== "tsconfig.base.json")
  .sort();
for (const project of projects) {
  status = step(`typecheck ${project}`, bin("tsc"), ["--noEmit", "-p", project]);
  if (status !== 0) fail(`typecheck ${project}`, status);
}

if (existsSync(join(root, "scripts", "ensure-chromium.mjs"))) {
  status = step("browser for the widget tests (Debian chromium)", process.execPath, ["scripts/ensure-chromium.mjs"]);
  if (status !== 0) fail("chromium set-up", status);
}

mkdirSync(join(root, "test-results"), { recursive: true });
const report = join(root, "test-results", "vitest.json");
status = step("vitest (node, workers, e2e, browser)", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
if (existsSync(report)) {
  const summary = JSON.parse(readFileSync(report, "utf8"));
  const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
  process.stdout.write(`\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped\n`);
}
process.exit(status);
