/**
 * The demo model generator: deterministic bytes per seed, a loadable folder whose tokenizer
 * holds the Megrez added tokens (Megrez-3B's table: same order, same offsets from the first added
 * id) and whose config points eos at <|turn_end|>.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MEGREZ_CHAT_TEMPLATE, MEGREZ_SPECIAL_TOKENS } from "../../../container/demo/megrez-template";
import { writeDemoModel } from "../../../container/demo/write-demo-model";

const workDir = mkdtempSync(join(tmpdir(), "demo-model-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const files = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"];

describe("writeDemoModel", () => {
  it("writes the same bytes for the same seed and different weights for another seed", () => {
    writeDemoModel({ outDir: join(workDir, "a"), seed: 3 });
    writeDemoModel({ outDir: join(workDir, "b"), seed: 3 });
    writeDemoModel({ outDir: join(workDir, "c"), seed: 4 });
    for (const file of files) expect(readFileSync(join(workDir, "a", file)).equals(readFileSync(join(workDir, "b", file)))).toBe(true);
    expect(readFileSync(join(workDir, "a", "onnx/model.onnx")).equals(readFileSync(join(workDir, "c", "onnx/model.onnx")))).toBe(false);
    expect(readdirSync(workDir).sort()).toEqual(["a", "b", "c"]);
  });

  it("ships the Megrez template verbatim, the added tokens and eos = <|turn_end|>", () => {
    const dir = join(workDir, "a");
    const tokenizer = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    const tokenizerConfig = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(tokenizerConfig.chat_template).toBe(MEGREZ_CHAT_TEMPLATE);
    const added: { content: string; id: number }[] = tokenizer.added_tokens;
    expect(added.map((token) => token.content)).toEqual([...MEGREZ_SPECIAL_TOKENS]);
    expect(config.eos_token_id).toBe(added.find((token) => token.content === "<|turn_end|>")?.id);
    expect(config.vocab_size).toBe(Object.keys(tokenizer.model.vocab).length + added.length);
    expect(tokenizer.model.merges.length).toBeGreaterThan(100);
    expect(config.model_type).toBe("llama");
  });

  it("lays the added tokens out as Megrez-3B does: 120000 <|eos|> … 120008 <|commit_start|>, then the function tokens", () => {
    const tokenizer = JSON.parse(readFileSync(join(workDir, "a", "tokenizer.json"), "utf8"));
    const added: { content: string; id: number }[] = tokenizer.added_tokens;
    const first = added[0]?.id ?? 0;
    // Megrez-3B's published ids (Omni tokenizer_config), written out here as facts, not read from our table.
    const megrez: [number, string][] = [
      [120000, "<|eos|>"],
      [120001, "<|unk|>"],
      [120002, "<|pad|>"],
      [120003, "<|role_start|>"],
      [120004, "<|role_end|>"],
      [120005, "<|turn_end|>"],
      [120006, "<|code_start|>"],
      [120007, "<|code_end|>"],
      [120008, "<|commit_start|>"],
      [120009, "<|function_start|>"],
      [120010, "<|function_end|>"],
    ];
    expect(added.map((token) => [token.id - first + 120000, token.content])).toEqual(megrez);
  });
});
