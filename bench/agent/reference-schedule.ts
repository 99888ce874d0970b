/**
 * The reference's critical path (reference §3.4-§3.5), replayed against the
 * same simulated backends: stream the decision until `<|function_end|>`,
 * search, fetch every page in parallel and wait for all of them (10 s
 * timeout each, a timed-out page becomes the timeout sentinel), one batched
 * summary call for all pages, then stream the answer. Measures the time to
 * the first answer token and the sources the answer cites.
 */
import { createHttpModelClient } from "../../agent/model-client";
import { TIMEOUT_SENTINEL } from "./backends";

export interface ScheduleResult {
  firstAnswerTokenMs: number;
  cited: number[];
}

const PAGE_TIMEOUT_MS = 10_000;

export async function runReferenceSchedule(input: { searchUrl: string; modelBaseUrl: string; question: string }): Promise<ScheduleResult> {
  const model = createHttpModelClient({ baseUrl: input.modelBaseUrl, model: "megrez", fetch });
  const began = performance.now();
  const system = 'You have access to the following functions. Use them if required -\n{\n    "name": "googleWebSearch"\n}';
  const messages = [
    { role: "system", content: system },
    { role: "user", content: input.question },
  ];
  let decision = "";
  for await (const part of model.streamChat({ messages, maxTokens: 512, temperature: 0.01, stop: ["<|turn_end|>"] })) {
    if (part.type === "text-delta") decision += part.text;
    if (decision.includes("<|function_end|>")) break;
  }
  const query = String(JSON.parse(decision.slice(decision.indexOf("{"), decision.lastIndexOf("}") + 1)).arguments.query);
  const searchResponse = await fetch(input.searchUrl, { method: "POST", body: JSON.stringify({ query, num_search_pages: 5 }) });
  const organic = ((await searchResponse.json()) as { organic: { link: string; title: string }[] }).organic.slice(0, 5);
  // Every page is awaited (the reference streams them but summarizes only after the last one).
  const texts = await Promise.all(
    organic.map(async (result) => {
      try {
        const response = await fetch(result.link, { signal: AbortSignal.timeout(PAGE_TIMEOUT_MS) });
        return (await response.text()).replace(/<[^>]+>/g, " ");
      } catch {
        return TIMEOUT_SENTINEL;
      }
    }),
  );
  const prompts = texts.map(
    (text) => `<|role_start|>user<|role_end|><问题>${query}</问题>\n<信息>${text}</信息><|turn_end|><|role_start|>assistant<|role_end|>`,
  );
  const summaries = await model.complete({ prompts, maxTokens: 512, temperature: 0.01, stop: ["<|turn_end|>"] });
  const context = summaries.map((summary, position) => `[[citation:${position + 1}]]\n${summary}`).join("\n");
  const answerMessages = [...messages, { role: "assistant", content: decision }, { role: "observation", content: `contexts:\n${context}` }];
  let firstAnswerTokenMs = -1;
  let answer = "";
  for await (const part of model.streamChat({ messages: answerMessages, maxTokens: 512, temperature: 0.01, stop: ["<|turn_end|>"] })) {
    if (part.type !== "text-delta") continue;
    if (firstAnswerTokenMs < 0) firstAnswerTokenMs = performance.now() - began;
    answer += part.text;
  }
  const cited = [...new Set([...answer.matchAll(/\[citation:(\d+)\]/g)].map((match) => Number(match[1])))];
  // Only pages with content count as cited (the timed-out one is "no relevant content").
  return { firstAnswerTokenMs, cited: cited.filter((index) => !/NO_RELEVANT_CONTENT/.test(summaries[index - 1] ?? "")) };
}
