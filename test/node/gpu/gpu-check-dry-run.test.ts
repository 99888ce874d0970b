/**
 * The GPU check as one command, `bench/gpu/run.sh --dry-run`, runs end to end on this machine's CPU with small
 * models (the same script a GPU host runs): every section completes, parity passes, the figures are labelled as a
 * dry run and no GPU target is judged. The steps and the engine run on the native runtime's KV pool, as on a GPU.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "gpu-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench/gpu/run.sh --dry-run", () => {
  it("runs every section on the CPU and writes a report that judges no GPU target", async () => {
    const out = join(dir, "report.md");
    const { stdout } = await promisify(execFile)(join(root, "bench", "gpu", "run.sh"), ["--dry-run", "--out", out], {
      cwd: root,
      timeout: 240_000,
      maxBuffer: 16 * 2 ** 20,
    });
    const report = readFileSync(out, "utf8");
    expect(stdout).toContain("report written to");
    expect(report).toMatch(/^# Megrez engine GPU check \(DRY RUN on CPU/);
    for (const section of ["1. CPU↔CUDA parity", "2. Tiny random model", "3. Decode step", "4. The seed's speed setup", "5. 32 concurrent sequences vs 8"]) {
      expect(report).toContain(`## ${section}`);
    }
    expect(report).toContain("Parity: PASS");
    expect(report).not.toContain("FAILED");
    expect(report).not.toMatch(/\b(met|NOT met)\b/);
    expect(report.match(/not judged \(dry run on CPU\)/g)?.length).toBe(5);
    // The path a GPU host measures: the native layer's device-resident KV pool, not onnxruntime-node's host copies.
    expect(report).toContain("Path: native KV pool.");
    expect(report).toMatch(/Engine: native runtime on cpu\. engine: KV pool on cpu: \d+ sequences/);
    const summary = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(summary).toMatchObject({ dryRun: true, failed: false, parity: true });
    expect(summary.steps).toHaveLength(4);
    for (const step of summary.steps) expect(step.path).toBe("native KV pool");
  });
});
