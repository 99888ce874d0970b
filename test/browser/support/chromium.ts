/**
 * Launches Debian's chromium (installed by scripts/ensure-chromium.mjs) with
 * playwright-core. playwright needs the binary's full path; the flags keep
 * chromium off the network (this machine's is closed) and out of sandboxing
 * that needs privileges a container does not have.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "../../../scripts/build";

export const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumPath(): string {
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium is not installed: run `node scripts/ensure-chromium.mjs` first");
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumFlags });
}

/** Where screenshots go: test-results/ (ignored by git, kept by CI as artifacts). */
export function artifactPath(name: string): string {
  const directory = join(ROOT, "test-results", "widget");
  mkdirSync(directory, { recursive: true });
  return join(directory, name);
}
