/**
 * LOG_LEVEL inside workerd: `info` writes a line per request, `error` only failures,
 * `silent` nothing; a bad value is a config error that is itself logged.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../workers/config";
import { createLogger } from "../../../workers/log";
import { request } from "./support/api";

afterEach(() => {
  vi.restoreAllMocks();
});

function captureConsole(): { out: string[]; err: string[] } {
  const lines = { out: [] as string[], err: [] as string[] };
  vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.out.push(String(line)));
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.err.push(String(line)));
  return lines;
}

describe("LOG_LEVEL", () => {
  it("defaults to info and accepts error and silent; anything else is named as invalid", () => {
    const defaults = parseConfig({});
    expect(defaults.ok && defaults.value.logLevel).toBe("info");
    const quiet = parseConfig({ LOG_LEVEL: "error" });
    expect(quiet.ok && quiet.value.logLevel).toBe("error");
    const bad = parseConfig({ LOG_LEVEL: "loud" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain("LOG_LEVEL");
  });

  it("filters by level", () => {
    for (const [level, expected] of [
      ["info", { out: 1, err: 1 }],
      ["error", { out: 0, err: 1 }],
      ["silent", { out: 0, err: 0 }],
    ] as const) {
      const lines = captureConsole();
      const log = createLogger("req-1", level);
      log.info("request", { status: 200 });
      log.error("upstream failed", { status: 502 });
      expect({ out: lines.out.length, err: lines.err.length }).toEqual(expected);
      vi.restoreAllMocks();
    }
  });

  it("keeps the per-request line at info and drops it at error", async () => {
    let lines = captureConsole();
    expect((await request("/v1/models", {}, { LOG_LEVEL: "info" })).status).toBe(200);
    expect(lines.out.some((line) => line.includes('"message":"request"') && line.includes('"path":"/v1/models"'))).toBe(true);
    vi.restoreAllMocks();
    lines = captureConsole();
    expect((await request("/v1/models", {}, { LOG_LEVEL: "error" })).status).toBe(200);
    expect(lines.out).toEqual([]);
  });

  it("logs a broken configuration even when LOG_LEVEL is the broken value", async () => {
    const lines = captureConsole();
    const res = await request("/v1/models", {}, { LOG_LEVEL: "loud" });
    expect(res.status).toBe(500);
    expect(lines.err.some((line) => line.includes("configuration invalid") && line.includes("LOG_LEVEL"))).toBe(true);
  });
});
