/**
 * `wrangler deploy` must work for users: the worker bundles offline
 * (`--dry-run`), declares its bindings, and stays under the Workers free
 * plan's 3 MB compressed script limit.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { ASSETS_DIR, buildAssets, ROOT } from "../../scripts/build";
import { WRANGLER_QUIET_ENV } from "../../scripts/stack";

const outDir = mkdtempSync(join(tmpdir(), "megrez-deploy-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("wrangler deploy --dry-run", () => {
  it("bundles the worker with its bindings, under 3 MB gzipped", () => {
    try {
      statSync(join(ASSETS_DIR, "corpus", "index.json"));
    } catch {
      buildAssets();
    }
    const result = spawnSync(process.execPath, [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outDir], {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_QUIET_ENV },
      encoding: "utf8",
      timeout: 120_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    for (const binding of ["SESSIONS", "RATE_LIMITER", "JOB_REGISTRY", "JOB_RUNNER", "ASSETS"]) expect(output).toContain(`env.${binding}`);
    const scripts = readdirSync(outDir).filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(outDir, name))).length, 0);
    expect(gzipped).toBeLessThan(3 * 1024 * 1024);
  });
});
