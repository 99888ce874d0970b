#!/usr/bin/env node
/**
 * `npm start`: works on a fresh clone with nothing installed beforehand.
 * Installs dependencies from the lockfile when they are missing or stale,
 * then hands over to scripts/serve.ts (build + engine + edge worker).
 * Plain JavaScript on purpose: it runs before any dependency exists.
 * It stops serve.ts (which stops the stack) on SIGINT/SIGTERM/SIGHUP and when
 * npm, or whatever started it, is gone, even by SIGKILL (parent-watch.mjs),
 * and exits only once serve.ts has, so the ports are free when the prompt
 * returns.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { watchParent } from "./parent-watch.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function ensureDependencies() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  process.stdout.write("[setup] installing dependencies from the lockfile (npm ci; first run takes a minute)…\n");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
  });
  if (result.status !== 0) {
    process.stderr.write("[setup] npm ci failed; see the output above.\n");
    process.exit(result.status ?? 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureDependencies();
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", "serve.ts"), ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
  });
  // Pass stop signals on: a terminal's Ctrl-C reaches the child too (same process group; its
  // shutdown runs once), but `kill <pid>` or a process manager signals only us.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  watchParent(() => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
