/**
 * Copies the outbound-URL guard (search/url-guard/) into the engine's tree (container/url-guard/),
 * byte for byte: the engine image holds only container/, so it keeps a copy of the same rules.
 * test/node/url-guard/copy-in-sync.test.ts fails while the two differ.
 *
 *   npx tsx scripts/sync-url-guard.ts
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
export const GUARD_SOURCE = join(ROOT, "search", "url-guard");
export const GUARD_COPY = join(ROOT, "container", "url-guard");

export function guardFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .sort();
}

if (process.argv[1] === import.meta.filename) {
  mkdirSync(GUARD_COPY, { recursive: true });
  for (const stale of guardFiles(GUARD_COPY)) rmSync(join(GUARD_COPY, stale));
  for (const name of guardFiles(GUARD_SOURCE)) copyFileSync(join(GUARD_SOURCE, name), join(GUARD_COPY, name));
  process.stdout.write(`copied ${guardFiles(GUARD_SOURCE).join(", ")} to container/url-guard/\n`);
}
