/**
 * The widget validates events with agent/events.ts bundled against a
 * zod/mini-backed shim of the classic API (workers/widget/client/
 * zod-classic-shim.ts). This pins that the shimmed schema accepts and rejects
 * exactly what the real (classic zod) schema does, and returns the same data.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatEventSchema } from "../../../agent/events";
import { ROOT } from "../../../scripts/build";
import { bundleForBrowser } from "../../../scripts/build-widget";
import { scriptedAnswer } from "../../support/fake-chat-backend";

interface SafeParser {
  safeParse(input: unknown): { success: boolean; data?: unknown };
}

let directory = "";
let shimmed: SafeParser;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "widget-shim-"));
  const entry = join(directory, "entry.ts");
  writeFileSync(entry, `export { chatEventSchema } from ${JSON.stringify(join(ROOT, "agent", "events.ts"))};\n`);
  const code = await bundleForBrowser({ entry, format: "esm", minify: false });
  // The bundle must not carry classic zod: that is the point of the shim.
  expect(code).not.toContain(`"ZodString"`);
  const file = join(directory, "events.mjs");
  writeFileSync(file, code);
  const loaded: { chatEventSchema: SafeParser } = await import(pathToFileURL(file).href);
  shimmed = loaded.chatEventSchema;
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

const valid: unknown[] = [
  ...scriptedAnswer("session-0001"),
  { type: "tool-call", name: "search", arguments: { query: "x", nested: [1, { a: null }] } },
  { type: "citation-dropped", cited: 7, reason: "out of range" },
  { type: "error", code: "engine_unavailable", message: "The model is unavailable.", retryable: true },
  { type: "page-read", index: 2, outcome: "failed", reason: "timeout", done: 2, total: 5 },
  { type: "start", id: "a", model: "m", created: 0 },
  { type: "text-delta", delta: "extra keys are stripped", extra: true },
  { type: "source", index: 3, url: "HTTPS://Example.com/a?b=c#d", title: "t", snippet: "s", domain: "example.com" },
];

const invalid: unknown[] = [
  null,
  "text",
  {},
  { type: "nope" },
  { type: "text-delta" },
  { type: "text-delta", delta: 5 },
  { type: "source", index: 0, url: "u", title: "t", snippet: "s", domain: "d" },
  { type: "source", index: 1.5, url: "u", title: "t", snippet: "s", domain: "d" },
  { type: "source", index: 1, url: "u", title: "t", snippet: "s" },
  { type: "status", stage: "dreaming" },
  { type: "status", stage: "reading", done: -1, total: 2 },
  { type: "page-read", index: 1, outcome: "summarized", done: 1, total: Number.POSITIVE_INFINITY },
  { type: "finish", reason: "stop", usage: { promptTokens: 1 } },
  { type: "finish", reason: "done", usage: { promptTokens: 1, completionTokens: 2 } },
  { type: "error", code: "x", message: "y", retryable: "yes" },
  { type: "tool-call", name: "search", arguments: [] },
  { type: "start", id: "a", model: "m", created: 1.5 },
  { type: "start", id: "a", model: "m", created: 1, sessionId: 3 },
  { type: "source", index: 1, url: "javascript:alert(1)", title: "t", snippet: "s", domain: "d" },
  { type: "source", index: 1, url: "data:text/html,<script>alert(1)</script>", title: "t", snippet: "s", domain: "d" },
  { type: "source", index: 1, url: "//evil.example/", title: "t", snippet: "s", domain: "d" },
  { type: "source", index: 1, url: "https://a.example/ x", title: "t", snippet: "s", domain: "d" },
  { type: "citation", index: 1, url: "javascript:alert(1)", title: "t", start: 0, end: 3 },
];

describe("the widget's shimmed event schema", () => {
  it.each(valid.map((event) => [JSON.stringify(event).slice(0, 60), event]))("accepts %s like zod does", (_name, event) => {
    const real = chatEventSchema.safeParse(event);
    const shim = shimmed.safeParse(event);
    expect(real.success).toBe(true);
    expect(shim.success).toBe(true);
    expect(shim.data).toEqual(real.data);
  });

  it.each(invalid.map((event) => [JSON.stringify(event) ?? String(event), event]))("rejects %s like zod does", (_name, event) => {
    expect(chatEventSchema.safeParse(event).success).toBe(false);
    expect(shimmed.safeParse(event).success).toBe(false);
  });
});
