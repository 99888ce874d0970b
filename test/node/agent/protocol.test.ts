/**
 * The protocol facts the model was trained on, checked against the reference
 * description in ../shared (read at test time, never copied): the chat
 * template, the function-calling preamble, the tool-call text and the
 * system prompt's JSON layout.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import { renderChatTemplate } from "../../../agent/chat-template";
import { buildSystemPrompt, FUNCTION_CALLING_PREAMBLE } from "../../../agent/prompts";
import { pythonJson } from "../../../agent/python-json";
import { parseToolCall } from "../../../agent/tool-call";
import { ToolCallStreamParser } from "../../../agent/tool-call-stream";
import { FUNCTION_END, FUNCTION_START } from "../../../agent/special-tokens";

const reference = readFileSync(fileURLToPath(new URL("../../../../shared/reference/infiniwebsearch.md", import.meta.url)), "utf8");

function codeBlockAfter(marker: string): string {
  const at = reference.indexOf(marker);
  expect(at).toBeGreaterThan(0);
  const block = /```\n([\s\S]*?)\n```/.exec(reference.slice(at));
  return block?.[1] ?? "";
}

describe("protocol facts", () => {
  it("renders the Megrez chat template exactly like the published Jinja template", () => {
    const template = new Template(codeBlockAfter("Chat template (verbatim"));
    const messages = [
      { role: "system", content: "S" },
      { role: "user", content: "介绍一下" },
      { role: "assistant", content: `${FUNCTION_START}{"name": "webSearch", "arguments": {"query": "q"}}${FUNCTION_END}` },
      { role: "observation", content: "O" },
    ];
    for (const addGenerationPrompt of [true, false]) {
      expect(renderChatTemplate(messages, { addGenerationPrompt })).toBe(template.render({ messages, add_generation_prompt: addGenerationPrompt }));
    }
  });

  it("keeps the function-calling preamble byte-exact", () => {
    const line = /FUNCTION_CALLING_PROMPT_TEMPLATE = "([^"\\]*)\\n\{functions\}"/.exec(reference)?.[1];
    expect(FUNCTION_CALLING_PREAMBLE).toBe(line);
    const system = buildSystemPrompt({ assistantName: "Megrez", now: new Date(0), timezone: "UTC", toolName: "webSearch" });
    const schema = system.slice(system.indexOf(`${FUNCTION_CALLING_PREAMBLE}\n`) + FUNCTION_CALLING_PREAMBLE.length + 1);
    // json.dumps(indent=4) layout: 4-space indent, "key": value, one item per line.
    expect(schema.split("\n").slice(0, 3)).toStrictEqual(["{", '    "name": "webSearch",', expect.stringMatching(/^ {4}"description": "/)]);
    expect(schema.endsWith('        "required": [\n            "query"\n        ]\n    }\n}')).toBe(true);
  });

  it("parses the demo's real tool call and writes it back byte-exact", () => {
    const demo = codeBlockAfter("This is the real output shown in the demo GIF");
    const parser = new ToolCallStreamParser();
    const parts = [...demo.match(/.{1,3}/gsu)!.flatMap((chunk) => parser.push(chunk)), ...parser.finish()];
    const call = parts.find((part) => part.type === "tool-call");
    expect(call?.type === "tool-call" && call.terminated).toBe(true);
    const parsed = call?.type === "tool-call" ? parseToolCall(call.raw, ["googleWebSearch"]) : undefined;
    expect(parsed).toMatchObject({ ok: true, name: "googleWebSearch", query: "无问芯穹" });
    if (parsed?.ok) expect(`${FUNCTION_START}${pythonJson({ name: parsed.name, arguments: parsed.arguments })}${FUNCTION_END}`).toBe(demo);
  });
});
