/**
 * `/v1/completions` with several prompts prefills them all in one forward step (as docs/engine.md
 * says), not the first alone and the rest after; each still gets the tokens it gets alone.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { DecoderRunner } from "../../../container/engine/decoder-runner";
import { makeTestModel, testEngine } from "./support/test-engine";
import { startTestServer, type TestServer } from "./support/test-server";

const model = makeTestModel(13);
let engine: Engine;
let server: TestServer;

beforeAll(async () => {
  engine = await testEngine(model, { prefixCacheBytes: 0 });
  server = await startTestServer(engine);
});

afterAll(async () => {
  await server.close();
  await engine.release();
  model.cleanup();
});

async function complete(prompt: string | string[]): Promise<string[]> {
  const response = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "megrez", prompt, max_tokens: 5, temperature: 0 }),
  });
  const json = (await response.json()) as { choices: { index: number; text: string }[] };
  return json.choices.sort((a, b) => a.index - b.index).map((choice) => choice.text);
}

describe("/v1/completions batching", () => {
  it("prefills every prompt of one request in the same step", async () => {
    const prompts = ["<|role_start|>user<|role_end|>first page<|turn_end|>", "second, longer page text here", "third"];
    const alone = [];
    for (const prompt of prompts) alone.push((await complete(prompt))[0]);
    const steps = vi.spyOn(DecoderRunner.prototype, "step");
    try {
      const together = await complete(prompts);
      expect(steps.mock.calls[0]?.[0]).toHaveLength(prompts.length);
      expect(together).toEqual(alone);
    } finally {
      steps.mockRestore();
    }
  });
});
