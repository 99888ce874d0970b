/**
 * `wrangler deploy` must work for users: the worker bundles offline
 * (`--dry-run`), declares its bindings, and stays under the Workers free
 * plan's 3 MB compressed script limit. The `containers` environment (the
 * engine as Cloudflare Containers) is checked too: wrangler 4.86 builds the
 * image even on a dry run and no Docker engine runs here, so a stand-in
 * `docker` (WRANGLER_DOCKER_BIN) records the build wrangler asks for; the
 * configuration, bindings and bundle are wrangler's own.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
    for (const binding of ["SESSIONS", "RATE_LIMITER", "JOB_REGISTRY", "JOB_RUNNER", "SITE_CRAWLER", "SITE_INDEX", "ASSETS"])
      expect(output).toContain(`env.${binding}`);
    const scripts = readdirSync(outDir).filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(outDir, name))).length, 0);
    expect(gzipped).toBeLessThan(3 * 1024 * 1024);
  });

  it("validates the containers environment: MegrezEngine bound as ENGINE_CONTAINER, the CPU image built from container/Dockerfile", () => {
    const dockerDir = mkdtempSync(join(tmpdir(), "megrez-docker-"));
    const docker = join(dockerDir, "docker");
    writeFileSync(docker, `#!/bin/sh\necho "$@" >> "${dockerDir}/calls"\nif [ "$1" = build ]; then cat > "${dockerDir}/dockerfile"; fi\nexit 0\n`);
    chmodSync(docker, 0o755);
    const containersOut = join(outDir, "containers");
    try {
      const result = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--env", "containers", "--outdir", containersOut],
        { cwd: ROOT, env: { ...process.env, ...WRANGLER_QUIET_ENV, WRANGLER_DOCKER_BIN: docker }, encoding: "utf8", timeout: 120_000 },
      );
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.status, output).toBe(0);
      expect(output).toMatch(/env\.ENGINE_CONTAINER \(MegrezEngine\)\s+Durable Object/);
      for (const binding of ["SESSIONS", "RATE_LIMITER", "JOB_REGISTRY", "JOB_RUNNER", "ASSETS", "ENGINE_INSTANCES"])
        expect(output).toContain(`env.${binding}`);
      const build =
        readFileSync(join(dockerDir, "calls"), "utf8")
          .split("\n")
          .find((line) => line.startsWith("build ")) ?? "";
      for (const arg of ["BASE_IMAGE=ubuntu:24.04", "ORT_CUDA=skip", "ORT_LIBRARY=", "ENGINE_EP=cpu", "BAKE_DEMO_MODEL=true"])
        expect(build).toContain(`--build-arg ${arg}`);
      expect(build.endsWith(`-f - ${ROOT}`)).toBe(true);
      expect(readFileSync(join(dockerDir, "dockerfile"), "utf8")).toBe(readFileSync(join(ROOT, "container", "Dockerfile"), "utf8"));
      // The Dockerfile comes in on stdin, so Docker reads the context root's .dockerignore: the same as the Dockerfile's own.
      expect(readFileSync(join(ROOT, ".dockerignore"), "utf8")).toBe(readFileSync(join(ROOT, "container", "Dockerfile.dockerignore"), "utf8"));
      const bundle = readdirSync(containersOut)
        .filter((name) => name.endsWith(".js"))
        .map((name) => readFileSync(join(containersOut, name), "utf8"))
        .join("\n");
      expect(bundle).toMatch(/MegrezEngine = class extends Container\b/);
    } finally {
      rmSync(dockerDir, { recursive: true, force: true });
    }
  });
});
