/**
 * Streaming text: the incremental detokenizer never emits a broken UTF-8 character (CJK is
 * several byte-level tokens per character), skip_special_tokens follows vLLM, and stop
 * strings are matched across token boundaries without leaking.
 */
import { afterAll, describe, expect, it } from "vitest";
import { IncrementalDetokenizer } from "../../../container/engine/incremental-detokenizer";
import { loadModelFolder } from "../../../container/engine/model-folder";
import { StopMatcher } from "../../../container/engine/stop-matcher";
import { TextCodec } from "../../../container/engine/text-codec";
import { makeTestModel } from "./support/test-engine";

const model = makeTestModel();
afterAll(() => model.cleanup());
const codec = new TextCodec(loadModelFolder(model.dir));

describe("IncrementalDetokenizer", () => {
  it("streams CJK text without ever emitting a partial character", () => {
    const text = "介绍一下无问芯穹，今天天气很好。Megrez 模型 🚀 done";
    const ids = codec.encodePlainText(text);
    // Byte-level BPE splits most of these characters across tokens.
    expect(ids.length).toBeGreaterThan([...text].length / 2);
    const detokenizer = new IncrementalDetokenizer(codec, true);
    const deltas = ids.map((id) => detokenizer.push(id));
    deltas.push(detokenizer.flush());
    for (const delta of deltas) expect(delta).not.toContain("\uFFFD");
    expect(deltas.join("")).toBe(text);
    expect(deltas.filter((delta) => delta === "").length).toBeGreaterThan(0);
  });

  it("hides special tokens by default and keeps them with skip_special_tokens=false", () => {
    const ids = codec.encodePrompt('<|function_start|>{"name": "x"}<|function_end|>');
    const run = (skip: boolean): string => {
      const detokenizer = new IncrementalDetokenizer(codec, skip);
      return ids.map((id) => detokenizer.push(id)).join("") + detokenizer.flush();
    };
    expect(run(true)).toBe('{"name": "x"}');
    expect(run(false)).toBe('<|function_start|>{"name": "x"}<|function_end|>');
  });
});

describe("StopMatcher", () => {
  it("matches a stop string split across deltas and emits only the text before it", () => {
    const matcher = new StopMatcher(["<|turn_end|>", "STOP"]);
    const out: string[] = [];
    let stopped = false;
    for (const delta of ["Hello <|tu", "rn_e", "nd|> never shown"]) {
      const result = matcher.push(delta);
      out.push(result.text);
      if (result.stopped) {
        stopped = true;
        break;
      }
    }
    expect(stopped).toBe(true);
    expect(out.join("")).toBe("Hello ");
  });

  it("releases held-back text once it can no longer start a stop string", () => {
    const matcher = new StopMatcher(["STOP"]);
    expect(matcher.push("abc ST")).toEqual({ text: "abc ", stopped: false });
    expect(matcher.push("ART")).toEqual({ text: "START", stopped: false });
    expect(matcher.push("xS")).toEqual({ text: "x", stopped: false });
    expect(matcher.flush()).toBe("S");
  });

  it("picks the earliest of several stop strings", () => {
    const matcher = new StopMatcher(["bb", "a"]);
    expect(matcher.push("xxbba")).toEqual({ text: "xx", stopped: true });
  });
});
