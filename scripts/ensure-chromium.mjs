#!/usr/bin/env node
/**
 * Makes sure Debian's chromium is on PATH before the browser tests run.
 * playwright-core cannot download its own browser here (closed network), so
 * the tests drive the distribution package instead. As root we install it
 * with apt-get (about 50 s, 290 MB); otherwise we explain what to run and
 * fail, because a browser test without a browser cannot mean anything.
 *
 * Usage: node scripts/ensure-chromium.mjs   (exit 0 = chromium is ready)
 */
import { execFileSync, spawnSync } from "node:child_process";

/** Full path of chromium on PATH, or undefined. playwright needs the path. */
function findChromium() {
  const found = spawnSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function install() {
  console.log("ensure-chromium: chromium is missing; installing Debian's package (apt-get)…");
  const environment = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env: environment });
  execFileSync("apt-get", ["install", "-y", "chromium"], { stdio: "inherit", env: environment });
}

let path = findChromium();
if (!path) {
  if (!isRoot()) {
    console.error(
      "ensure-chromium: Debian's chromium is not installed and this process is not root.\n" +
        "Install it with: sudo apt-get update && sudo apt-get install -y chromium",
    );
    process.exit(1);
  }
  install();
  path = findChromium();
  if (!path) {
    console.error("ensure-chromium: apt-get finished but `chromium` is still not on PATH.");
    process.exit(1);
  }
}
const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(`ensure-chromium: ${path} (${version || "version unknown"})`);
