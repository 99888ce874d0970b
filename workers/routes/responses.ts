/**
 * `POST /v1/responses`: OpenAI's Responses API on the same agent as
 * /v1/chat/completions, streaming (Responses events, one SSE frame each with
 * `event: <type>`, written by workers/sse-stream.ts) or not (one response
 * object). `previous_response_id` continues a stored conversation: each stored
 * response is a ChatSession Durable Object holding the conversation up to it,
 * so any stored response can be continued (`store: false` writes nothing).
 * `GET` / `DELETE /v1/responses/:id` read and forget a stored response. An answer holds an admission
 * lease (workers/chat-admission.ts) until its events end or its client goes away.
 */
import { Hono, type Context } from "hono";
import type { AgentRequest } from "../../agent/run-agent";
import { createAgentRunner } from "../agent-deps";
import type { ApiEnv } from "../api-context";
import { admitChat, holdingLease } from "../chat-admission";
import { ApiError } from "../errors";
import { describeError } from "../log";
import { conversationKey } from "../pool/affinity-key";
import { randomHex } from "../random-id";
import { readJsonBody } from "../request-body";
import { requestSearchFilter } from "../request-filter";
import { ResponseAssembler, type ResponseEcho, type ResponseObject } from "../responses/response-assembler";
import { inputMessages, type ResponseRequest, responseRequestSchema, searchModeOf, toolFilterOf } from "../responses/request-schema";
import type { SessionMessage } from "../sessions/chat-session";
import { responseStub } from "../sessions/session-stub";
import { jsonFrame, sseResponse, withFinish } from "../sse-stream";

export const responseRoutes = new Hono<ApiEnv>();

const RESPONSE_ID = /^resp_[A-Za-z0-9]{8,64}$/;

function echoOf(body: ResponseRequest, id: string, model: string): ResponseEcho {
  return {
    id,
    created_at: Math.floor(Date.now() / 1000),
    model,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store !== false,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    truncation: "auto",
  };
}

/** The stored conversation `previous_response_id` continues (instructions are not carried over, as in OpenAI's API). */
async function previousConversation(c: Context<ApiEnv>, previousId: string | null | undefined): Promise<SessionMessage[]> {
  if (!previousId) return [];
  const stored = RESPONSE_ID.test(previousId) ? await responseStub(c.env, c.get("principal"), previousId).loadResponse() : undefined;
  if (!stored) throw new ApiError("previous_response_not_found", `Previous response with id '${previousId.slice(0, 128)}' not found.`);
  return stored.messages;
}

responseRoutes.post("/v1/responses", async (c) => {
  const config = c.get("config");
  const log = c.get("log");
  const body = await readJsonBody(c, responseRequestSchema, config.limits.maxBodyBytes);
  if (body.model !== config.engine.model) {
    throw new ApiError("model_not_found", `The model \`${body.model}\` does not exist; see GET /v1/models.`, {}, "model");
  }
  const input = inputMessages(body);
  const mode = searchModeOf(body, config.agent.defaultSearchMode);
  const searchFilter = requestSearchFilter(config, c.get("principal"), toolFilterOf(body), "tools.0.filters");
  const history = await previousConversation(c, body.previous_response_id);
  // A place among the running answers (workers/chat-admission.ts), taken once the request is known to be valid.
  const lease = await admitChat(c.env, config, (work) => c.executionCtx.waitUntil(work));

  const id = `resp_${randomHex(24)}`;
  // Aborted when the client goes away: a streamed response is cancelled (below), and the
  // request's own signal (compatibility flag enable_request_signal) covers the non-streaming one.
  const abort = new AbortController();
  const clientGone = () => abort.abort(new Error("client disconnected"));
  c.req.raw.signal.addEventListener("abort", clientGone, { once: true });
  const request: AgentRequest = {
    messages: [...history.map(({ role, content }) => ({ role, content })), ...input],
    search: mode,
    ...(body.max_output_tokens ? { maxTokens: body.max_output_tokens } : {}),
    ...(body.temperature !== null && body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.top_p !== null && body.top_p !== undefined ? { sampling: { topP: body.top_p } } : {}),
    ...(searchFilter ? { searchFilter } : {}),
    signal: abort.signal,
  };
  // Every turn of a conversation resends its opening, so continuing turns meet the same engine replica.
  const run = createAgentRunner(c.env, config, new URL(c.req.url).origin, log, {
    key: conversationKey(request.messages, body.prompt_cache_key ?? undefined),
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  });
  const events = withFinish(holdingLease(run(request), lease, abort.signal), (err) => log.error("response failed", describeError(err)));
  const assembler = new ResponseAssembler(echoOf(body, id, config.engine.model), {
    includeSources: (body.include ?? []).includes("web_search_call.action.sources"),
    newId: (prefix) => `${prefix}_${randomHex(24)}`,
    now: Date.now,
  });
  // Stored before the final event goes out, so a client may continue from it at once.
  const store = async () => {
    if (body.store === false || assembler.finalStatus === "failed") return;
    const answer = { role: "assistant" as const, content: assembler.answer, sources: [...assembler.sources.values()].sort((a, b) => a.index - b.index) };
    const conversation = [...history, ...input.flatMap((m) => (m.role === "system" ? [] : [{ role: m.role, content: m.content }])), answer];
    try {
      await responseStub(c.env, c.get("principal"), id).saveResponse(
        { messages: conversation, response: JSON.stringify(assembler.response()) },
        config.sessionTtlMs,
      );
    } catch (err) {
      log.error("storing the response failed", describeError(err));
    }
  };

  if (!body.stream) {
    for await (const event of events) {
      assembler.push(event);
      if (event.type === "finish") await store();
    }
    // A failure is the status chat completions would answer with, never a response object.
    if (assembler.failure) throw assembler.failure;
    return c.json(assembler.response());
  }

  async function* frames(): AsyncGenerator<string> {
    for (const event of assembler.start()) yield jsonFrame(event, { event: event.type });
    for await (const event of events) {
      const out = assembler.push(event);
      if (event.type === "finish") await store();
      for (const streamEvent of out) yield jsonFrame(streamEvent, { event: streamEvent.type });
    }
  }
  return sseResponse(frames(), { keepAliveMs: config.keepAliveMs, onCancel: clientGone });
});

async function storedResponse(c: Context<ApiEnv>, id: string): Promise<ResponseObject> {
  const stored = RESPONSE_ID.test(id) ? await responseStub(c.env, c.get("principal"), id).loadResponse() : undefined;
  if (!stored) throw new ApiError("response_not_found", `No response found with id '${id.slice(0, 128)}'.`);
  return JSON.parse(stored.response);
}

responseRoutes.get("/v1/responses/:id", async (c) => c.json(await storedResponse(c, c.req.param("id"))));

responseRoutes.delete("/v1/responses/:id", async (c) => {
  const id = c.req.param("id");
  await storedResponse(c, id);
  await responseStub(c.env, c.get("principal"), id).clear();
  return c.json({ id, object: "response", deleted: true });
});
