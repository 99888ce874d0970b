/**
 * `POST /v1/chat/completions`: the OpenAI-compatible face of the agent,
 * streaming (chunk frames) or not (one `chat.completion`), with citations as
 * Markdown links and `url_citation` annotations, and Perplexity Sonar's search
 * fields: the domain and recency filters in, `citations`, `search_results` and
 * (when asked) `related_questions` out.
 */
import { Hono } from "hono";
import { writeRelatedQuestions } from "../../agent/related-questions";
import type { AgentRequest } from "../../agent/run-agent";
import type { ApiEnv } from "../api-context";
import { createAgentRunner } from "../agent-deps";
import { createEngineClient } from "../engine";
import { chatBodyLimit } from "../attachments";
import { admitChat, holdingLease } from "../chat-admission";
import { ApiError } from "../errors";
import { describeError } from "../log";
import { conversationKey } from "../pool/affinity-key";
import { collectCompletion } from "../openai/completion";
import { openAIChunkFrames } from "../openai/chunk-frames";
import { type ChatCompletionRequest, chatCompletionRequestSchema, toAgentMessages } from "../openai/request-schema";
import { readJsonBody } from "../request-body";
import { requestSearchFilter, sonarFilter } from "../request-filter";
import { sseResponse, withFinish } from "../sse-stream";
import { readSearchField, resolveSiteScope } from "../sites/site-scope";

export const chatCompletionRoutes = new Hono<ApiEnv>();

chatCompletionRoutes.post("/v1/chat/completions", async (c) => {
  const config = c.get("config");
  const body = await readJsonBody(c, chatCompletionRequestSchema, chatBodyLimit(config.limits.maxBodyBytes, config.attachments));
  if (body.model !== config.engine.model) {
    throw new ApiError("model_not_found", `The model \`${body.model}\` does not exist; see GET /v1/models.`, {}, "model");
  }
  const messages = toAgentMessages(body, config.attachments);
  const searchFilter = requestSearchFilter(config, c.get("principal"), sonarFilter(body), "search_domain_filter");
  const search = readSearchField(body.search);
  const siteIds = await resolveSiteScope(c.env, config, c.get("principal"), search.sites);
  const lease = await admitChat(c.env, config, (work) => c.executionCtx.waitUntil(work));
  // Aborted when the client goes away: a streamed response is cancelled (below), and the
  // request's own signal (compatibility flag enable_request_signal) covers the non-streaming one.
  const abort = new AbortController();
  const clientGone = () => abort.abort(new Error("client disconnected"));
  c.req.raw.signal.addEventListener("abort", clientGone, { once: true });
  const routing = {
    key: conversationKey(messages, body.prompt_cache_key ?? undefined),
    waitUntil: (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise),
  };
  const run = createAgentRunner(c.env, config, new URL(c.req.url).origin, c.get("log"), routing, siteIds ? { siteIds } : {});
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const question = messages[messages.length - 1]?.content ?? "";
  const relatedQuestions = body.return_related_questions
    ? async (answer: string) => {
        const written = await writeRelatedQuestions(createEngineClient(c.env, config, routing), { question, answer, signal: abort.signal });
        if (written.error !== undefined) c.get("log").error("related questions failed", describeError(written.error));
        return written;
      }
    : undefined;
  const answer = run({
    messages,
    ...(search.mode ? { search: search.mode } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(body.temperature !== undefined && body.temperature !== null ? { temperature: body.temperature } : {}),
    ...(body.stop && body.stop.length > 0 ? { stop: body.stop } : {}),
    sampling: samplingOf(body),
    ...(searchFilter ? { searchFilter } : {}),
    signal: abort.signal,
  });
  const events = holdingLease(answer, lease, abort.signal);
  const meta = { id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`, created: Math.floor(Date.now() / 1000), model: config.engine.model };
  if (!body.stream) return c.json(await collectCompletion(events, meta, relatedQuestions));
  const log = c.get("log");
  const finished = withFinish(events, (err) => log.error("chat completion stream failed", describeError(err)));
  const frameOptions = { includeUsage: body.stream_options?.include_usage === true, ...(relatedQuestions ? { relatedQuestions } : {}) };
  return sseResponse(openAIChunkFrames(finished, meta, frameOptions), {
    keepAliveMs: config.keepAliveMs,
    onCancel: clientGone,
  });
});

/** The OpenAI sampling fields the caller set, for the answer. */
function samplingOf(body: ChatCompletionRequest): NonNullable<AgentRequest["sampling"]> {
  const given = (value: number | null | undefined): value is number => value !== undefined && value !== null;
  return {
    ...(given(body.top_p) ? { topP: body.top_p } : {}),
    ...(given(body.seed) ? { seed: body.seed } : {}),
    ...(given(body.presence_penalty) ? { presencePenalty: body.presence_penalty } : {}),
    ...(given(body.frequency_penalty) ? { frequencyPenalty: body.frequency_penalty } : {}),
  };
}
