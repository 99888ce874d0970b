/**
 * scripts/build-widget.ts: one IIFE with the one global, the demo page next
 * to it, and a hard failure (nothing written) over the size budget.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import { buildWidget, widgetGzipBudget } from "../../../scripts/build-widget";

const directory = mkdtempSync(join(tmpdir(), "widget-build-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("buildWidget", () => {
  it("writes widget.js within the budget, and the demo page that embeds it", async () => {
    const out = join(directory, "ok");
    const result = await buildWidget(out);
    expect(result.gzipBytes).toBeGreaterThan(1000);
    expect(result.gzipBytes).toBeLessThanOrEqual(widgetGzipBudget);
    const code = readFileSync(join(out, "widget.js"), "utf8");
    expect(code.startsWith('"use strict";(()=>{') || code.startsWith("(()=>{")).toBe(true);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain('<script src="/widget.js" data-site-key="demo"');
    expect(existsSync(join(out, "demo.css"))).toBe(true);
  });

  it("defines exactly one global, MegrezChat, and mounts nothing without a site key", async () => {
    const code = readFileSync(join(directory, "ok", "widget.js"), "utf8");
    const window: Record<string, unknown> = {};
    const sandbox = {
      window,
      document: { currentScript: null },
      location: { href: "https://site.example/", origin: "https://site.example" },
      HTMLScriptElement: class {},
    };
    const before = new Set(Object.keys(sandbox));
    runInNewContext(code, sandbox);
    expect(Object.keys(sandbox).filter((key) => !before.has(key))).toEqual([]);
    expect(Object.keys(window)).toEqual([]);
    expect(Object.getOwnPropertyNames(window)).toEqual(["MegrezChat"]);
  });

  it("fails over the budget and writes nothing", async () => {
    const out = join(directory, "over");
    await expect(buildWidget(out, 1024)).rejects.toThrow(/over the 1024-byte budget/);
    expect(existsSync(join(out, "widget.js"))).toBe(false);
  });
});
