/**
 * The demo model folder is a valid transformers.js model (same I/O conventions as Optimum):
 * @huggingface/transformers, offline, generates exactly the engine's greedy tokens.
 */
import { dirname, basename } from "node:path";
import { AutoModelForCausalLM, Tensor, env } from "@huggingface/transformers";
import { afterAll, describe, expect, it } from "vitest";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(41);
afterAll(() => model.cleanup());

describe("transformers.js oracle", () => {
  it("generates the same greedy tokens as the engine from the same folder", async () => {
    const engine = await testEngine(model);
    try {
      const promptIds = engine.codec.encodeChat([{ role: "user", content: "Who cites sources?" }], true);
      const ours = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 24 }) });
      env.allowRemoteModels = false;
      env.localModelPath = `${dirname(model.dir)}/`;
      const peer = await AutoModelForCausalLM.from_pretrained(basename(model.dir), { dtype: "fp32", device: "cpu" });
      const ids = BigInt64Array.from(promptIds, (id) => BigInt(id));
      const output = await peer.generate({
        input_ids: new Tensor("int64", ids, [1, ids.length]),
        attention_mask: new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
        max_new_tokens: 24,
        do_sample: false,
      });
      await peer.dispose();
      expect(output).toBeInstanceOf(Tensor);
      const theirs = output instanceof Tensor ? Array.from(output.data, (id) => Number(id)).slice(ids.length) : [];
      expect(theirs).toEqual([...ours.tokenIds]);
    } finally {
      await engine.release();
    }
  });
});
