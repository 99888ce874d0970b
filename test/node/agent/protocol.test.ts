/**
 * The protocol facts the Megrez models were trained on, stated here in our own
 * words and checked against our code: the turn layout of the chat template,
 * the default system turn, the function-calling preamble line, the system
 * prompt's JSON layout and the tool-call text. The template the demo model
 * ships (container/demo/megrez-template.ts, the Jinja source Megrez publishes)
 * must render the same bytes through @huggingface/jinja.
 */
import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import { renderChatTemplate } from "../../../agent/chat-template";
import { buildSystemPrompt, FUNCTION_CALLING_PREAMBLE } from "../../../agent/prompts";
import { pythonJson } from "../../../agent/python-json";
import { FUNCTION_END, FUNCTION_START, ROLE_END, ROLE_START, TURN_END } from "../../../agent/special-tokens";
import { parseToolCall } from "../../../agent/tool-call";
import { ToolCallStreamParser } from "../../../agent/tool-call-stream";
import { MEGREZ_CHAT_TEMPLATE } from "../../../container/demo/megrez-template";

// Facts: each turn is `<|role_start|>` role `<|role_end|>` content `<|turn_end|>`, with no
// newline anywhere; roles are free text (system, user, assistant, observation); the
// generation prompt is an open assistant turn; a conversation without a system turn gets
// Megrez-3B-Instruct's default one, written with full-width punctuation.
const DEFAULT_SYSTEM_TURN = "<|role_start|>system<|role_end|>你是Megrez-3B-Instruct，将针对用户的问题给出详细的、积极的回答。<|turn_end|>";
const TOOL_CALL = '<|function_start|>{"name": "webSearch", "arguments": {"query": "q"}}<|function_end|>';

describe("protocol facts", () => {
  it("names the special tokens as Megrez spells them", () => {
    expect([ROLE_START, ROLE_END, TURN_END, FUNCTION_START, FUNCTION_END]).toEqual([
      "<|role_start|>",
      "<|role_end|>",
      "<|turn_end|>",
      "<|function_start|>",
      "<|function_end|>",
    ]);
  });

  it("lays out a searched conversation turn by turn, with no separators", () => {
    const messages = [
      { role: "system", content: "S" },
      { role: "user", content: "介绍一下" },
      { role: "assistant", content: TOOL_CALL },
      { role: "observation", content: "O" },
    ];
    const expected =
      "<|role_start|>system<|role_end|>S<|turn_end|>" +
      "<|role_start|>user<|role_end|>介绍一下<|turn_end|>" +
      `<|role_start|>assistant<|role_end|>${TOOL_CALL}<|turn_end|>` +
      "<|role_start|>observation<|role_end|>O<|turn_end|>";
    const published = new Template(MEGREZ_CHAT_TEMPLATE);
    expect(renderChatTemplate(messages, { addGenerationPrompt: false })).toBe(expected);
    expect(renderChatTemplate(messages, { addGenerationPrompt: true })).toBe(`${expected}<|role_start|>assistant<|role_end|>`);
    expect(published.render({ messages, add_generation_prompt: false })).toBe(expected);
    expect(published.render({ messages, add_generation_prompt: true })).toBe(`${expected}<|role_start|>assistant<|role_end|>`);
  });

  it("puts the default system turn in front of a conversation that has none", () => {
    const published = new Template(MEGREZ_CHAT_TEMPLATE);
    expect(published.render({ messages: [{ role: "user", content: "hi" }], add_generation_prompt: true })).toBe(
      `${DEFAULT_SYSTEM_TURN}<|role_start|>user<|role_end|>hi<|turn_end|><|role_start|>assistant<|role_end|>`,
    );
  });

  it("keeps the function-calling preamble byte-exact", () => {
    // The line InfiniWebSearch puts before the JSON tool list, then a newline.
    expect(FUNCTION_CALLING_PREAMBLE).toBe("You have access to the following functions. Use them if required -");
    const system = buildSystemPrompt({ assistantName: "Megrez", now: new Date(0), timezone: "UTC", toolName: "webSearch" });
    const schema = system.slice(system.indexOf(`${FUNCTION_CALLING_PREAMBLE}\n`) + FUNCTION_CALLING_PREAMBLE.length + 1);
    // Python's json.dumps(indent=4) layout: 4-space indent, "key": value, one item per line.
    expect(schema.split("\n").slice(0, 3)).toStrictEqual(["{", '    "name": "webSearch",', expect.stringMatching(/^ {4}"description": "/)]);
    expect(schema.endsWith('        "required": [\n            "query"\n        ]\n    }\n}')).toBe(true);
  });

  it("parses a real Megrez tool call and writes it back byte-exact", () => {
    // The call Megrez-3B-Instruct emits: one JSON object between the function tokens,
    // written as Python's json.dumps does (", " and ": " separators, non-ASCII kept).
    const real = '<|function_start|>{"name": "googleWebSearch", "arguments": {"query": "无问芯穹"}}<|function_end|>';
    const parser = new ToolCallStreamParser();
    const parts = [...real.match(/.{1,3}/gsu)!.flatMap((chunk) => parser.push(chunk)), ...parser.finish()];
    const call = parts.find((part) => part.type === "tool-call");
    expect(call?.type === "tool-call" && call.terminated).toBe(true);
    const parsed = call?.type === "tool-call" ? parseToolCall(call.raw, ["googleWebSearch"]) : undefined;
    expect(parsed).toMatchObject({ ok: true, name: "googleWebSearch", query: "无问芯穹" });
    if (parsed?.ok) expect(`${FUNCTION_START}${pythonJson({ name: parsed.name, arguments: parsed.arguments })}${FUNCTION_END}`).toBe(real);
  });
});
