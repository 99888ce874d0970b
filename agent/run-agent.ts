/**
 * The search agent: one user message in, one stream of ChatEvents out.
 * It follows the reference loop (reference §3.4) where the model depends on
 * it: the tool schema in the system prompt, a `<|function_start|>` call, the
 * result as an `observation` turn, `[citation:N]` in the answer. Around that
 * loop it adds search modes, research with deadlines (agent/research.ts),
 * validated citations, token budgets and a graceful end for every failure.
 * Attachments of the last user message ride on the question in every chat
 * call of the turn, with their placeholder tokens reserved (agent/attachments.ts).
 *
 * @example
 * for await (const event of runAgent({ messages: [{ role: "user", content: "Who won?" }] }, deps)) send(event);
 */
import type { ExtractedPage, FetchOutcome, SearchFilter, SearchProvider } from "../search/types";
import { mediaTokens, type Attachment } from "./attachments";
import { renderChatTemplate } from "./chat-template";
import { CitationRewriter, type CitableSource } from "./citation-stream";
import type { AgentConfig } from "./config";
import { readConversation, windowHistory } from "./conversation";
import { AgentError, isAgentError } from "./errors";
import type { ChatEvent, ChatEventOf } from "./events";
import { fallbackAnswer } from "./fallback-answer";
import { generateTurn, type GenerateTurnResult } from "./generate-turn";
import type { ChatStreamRequest, ModelClient, ModelMessage } from "./model-client";
import { fitObservation } from "./observation";
import { buildObservation, buildSearchLimitObservation, buildSystemPrompt, buildUnknownToolObservation } from "./prompts";
import { pythonJson } from "./python-json";
import type { SelectPassages } from "./read-page";
import { research, urlKey, type ResearchSource } from "./research";
import { FUNCTION_END, FUNCTION_START, neutralize } from "./special-tokens";
import { cleanQuery, parseToolCall } from "./tool-call";
import { addModelCall, meterCompletions, newUsageCounts, type UsageCounts } from "./turn-usage";

export type SearchMode = "auto" | "always" | "never";

export interface ChatMessage {
  role: string;
  content: string;
  /**
   * Media of a user message. Only the last user message's are sent to the
   * model; the engine applies its own rules (images best in the first turn).
   */
  attachments?: Attachment[];
}

export interface AgentRequest {
  messages: ChatMessage[];
  search?: SearchMode;
  /** The answer's exact token budget (refused with `context-too-long` when the context cannot hold it). */
  maxTokens?: number;
  temperature?: number;
  /** The caller's stop strings: they end the answer (never the search decision). */
  stop?: string[];
  /** The caller's sampling settings for the answer (the search decision keeps the agent's). */
  sampling?: Pick<ChatStreamRequest, "topP" | "seed" | "presencePenalty" | "frequencyPenalty">;
  /** Domain and recency filter of every search of this answer. */
  searchFilter?: SearchFilter;
  signal?: AbortSignal;
}

export interface AgentDeps {
  model: ModelClient;
  search: SearchProvider;
  fetchPage: (url: string, signal?: AbortSignal) => Promise<FetchOutcome>;
  extract: (html: string, url: string) => ExtractedPage;
  selectPassages?: SelectPassages;
  now: () => Date;
  config: AgentConfig;
  /** Id of the `start` event (default: a random UUID). */
  newId?: () => string;
}

/** Mode `always`: this much text without a call means the model is not calling (its words are not shown). */
const DECISION_GIVE_UP_CHARS = 64;

/** Least room an answer without a requested max_tokens must have: below it the question is too long. */
const MIN_ANSWER_TOKENS = 64;

/** The name the reference used; the model may have learned it, so it is accepted too. */
const REFERENCE_TOOL_NAME = "googleWebSearch";

interface RunState {
  request: AgentRequest;
  deps: AgentDeps;
  mode: SearchMode;
  question: string;
  system: string;
  turns: ModelMessage[];
  /** Placeholder tokens of the question's attachments, invisible to countTokens. */
  mediaTokens: number;
  rewriter: CitationRewriter;
  sources: ResearchSource[];
  citable: ResearchSource[];
  searches: number;
  usage: UsageCounts;
}

export async function* runAgent(request: AgentRequest, deps: AgentDeps): AsyncGenerator<ChatEvent> {
  const usage = newUsageCounts();
  yield { type: "start", id: deps.newId?.() ?? crypto.randomUUID(), model: deps.model.model, created: Math.floor(deps.now().getTime() / 1000) };
  try {
    const conversation = readConversation(request.messages);
    if (!conversation.ok) throw new AgentError("bad-request", { detail: conversation.reason, param: "messages" });
    const state = await prepare(request, deps, conversation, usage);
    yield* converse(state);
  } catch (error) {
    const failure = isAgentError(error) ? error : new AgentError(request.signal?.aborted ? "aborted" : "internal", { cause: error });
    if (failure.code === "aborted" || request.signal?.aborted) {
      yield finishEvent("aborted", usage);
      return;
    }
    yield failureEvent(failure);
    yield finishEvent("error", usage);
  }
}

function finishEvent(reason: ChatEventOf<"finish">["reason"], usage: UsageCounts): ChatEvent {
  return { type: "finish", reason, usage: { ...usage.answer }, turnUsage: { ...usage.turn } };
}

/** The `error` event of a failure, with what a client needs to react (retry delay, field at fault). */
function failureEvent(failure: AgentError): ChatEvent {
  return {
    type: "error",
    code: failure.code,
    message: failure.publicMessage,
    retryable: failure.retryable,
    ...(failure.retryAfterSeconds !== undefined ? { retryAfter: failure.retryAfterSeconds } : {}),
    ...(failure.param !== undefined ? { param: failure.param } : {}),
  };
}

async function prepare(
  request: AgentRequest,
  deps: AgentDeps,
  conversation: Extract<ReturnType<typeof readConversation>, { ok: true }>,
  usage: RunState["usage"],
): Promise<RunState> {
  const { config } = deps;
  const mode = request.search ?? config.defaultSearchMode;
  const system = buildSystemPrompt({
    assistantName: config.assistantName,
    now: deps.now(),
    timezone: config.timezone,
    ...(mode !== "never" ? { toolName: config.toolName } : {}),
    ...(conversation.instructions ? { extraInstructions: conversation.instructions } : {}),
  });
  const countTokens = (text: string) => deps.model.countTokens(text);
  const { contextTokens, safetyTokens } = config.budgets;
  const media = mediaTokens(conversation.attachments, config.budgets);
  // What must fit beside the question: the answer (exactly max_tokens when asked), headroom, the media,
  // and in mode `always` the observation's frame. Past that the request cannot be answered: 400.
  const skeleton = mode === "never" ? 0 : await countTokens(buildObservation({ question: conversation.question, query: conversation.question, entries: [] }));
  const required = (request.maxTokens ?? MIN_ANSWER_TOKENS) + safetyTokens + media + (mode === "always" ? skeleton : 0);
  // History is kept while it also leaves room for the default answer and the page notes.
  let reserve = answerBudget(request, config, mode) + safetyTokens + media;
  if (mode !== "never") reserve += skeleton + config.pages * (config.budgets.summaryMaxTokens + 24) + 64;
  const window = await windowHistory({
    system,
    history: conversation.history,
    question: conversation.question,
    attachments: conversation.attachments,
    budgetTokens: contextTokens - reserve,
    maxTurns: config.historyTurns,
    countTokens,
  });
  if (!window.ok && window.promptTokens > contextTokens - required) {
    throw contextTooLong(window.promptTokens, request.maxTokens, contextTokens, required);
  }
  const turns = window.ok ? window.turns : window.questionOnly;
  return {
    request,
    deps,
    mode,
    system,
    turns,
    usage,
    mediaTokens: media,
    question: conversation.question,
    rewriter: new CitationRewriter(new Map(), new Set()),
    sources: [],
    citable: [],
    searches: 0,
  };
}

/** The answer's token budget: exactly the caller's max_tokens, else the configured default for the mode. */
function answerBudget(request: AgentRequest, config: AgentConfig, mode: SearchMode): number {
  return request.maxTokens ?? (mode === "never" ? config.budgets.chatMaxTokens : config.budgets.answerMaxTokens);
}

/** The refusal of a prompt (or a max_tokens) that the model's context cannot hold. */
function contextTooLong(promptTokens: number, maxTokens: number | undefined, contextTokens: number, required: number): AgentError {
  const questionFits = promptTokens + required - (maxTokens ?? MIN_ANSWER_TOKENS) + MIN_ANSWER_TOKENS <= contextTokens;
  const publicDetail =
    maxTokens !== undefined && questionFits
      ? `The model's context is ${contextTokens} tokens: the messages need about ${promptTokens}, which leaves less than max_tokens ${maxTokens} for the answer.`
      : `The model's context is ${contextTokens} tokens, and the messages alone need about ${promptTokens}.`;
  return new AgentError("context-too-long", {
    detail: `prompt ${promptTokens} + required ${required} > context ${contextTokens}`,
    publicDetail,
    param: maxTokens !== undefined && questionFits ? "max_tokens" : "messages",
  });
}

async function* converse(state: RunState): AsyncGenerator<ChatEvent> {
  const { config } = state.deps;
  yield { type: "status", stage: state.mode === "never" ? "writing" : "thinking" };
  const maxGenerations = state.mode === "never" ? 1 : config.searchRounds + 2;
  let last: GenerateTurnResult | undefined;
  for (let generation = 0; generation < maxGenerations; generation += 1) {
    const deciding = state.mode === "always" && state.searches === 0;
    const messages: ModelMessage[] = [{ role: "system", content: state.system }, ...state.turns];
    const promptTokens = (await state.deps.model.countTokens(renderChatTemplate(messages, { addGenerationPrompt: true }))) + state.mediaTokens;
    const room = config.budgets.contextTokens - promptTokens - config.budgets.safetyTokens;
    last = yield* generateTurn({
      model: state.deps.model,
      messages,
      maxTokens: deciding ? Math.max(16, Math.min(config.budgets.decisionMaxTokens, room)) : answerTokens(state, promptTokens, room),
      temperature: state.request.temperature ?? (state.mode === "never" ? config.chatTemperature : config.agentTemperature),
      ...(!deciding && state.request.stop ? { stop: state.request.stop } : {}),
      // The decision is the agent's own call: seeded (the caller's seed, else the agent's) so a request repeats.
      sampling: deciding ? { seed: state.request.sampling?.seed ?? config.agentSeed } : (state.request.sampling ?? {}),
      showText: !deciding,
      rewriter: state.rewriter,
      timeoutMs: config.deadlines.modelMs,
      ...(deciding ? { giveUpAfterChars: DECISION_GIVE_UP_CHARS } : {}),
      ...(state.request.signal ? { signal: state.request.signal } : {}),
    });
    const callUsage = {
      promptTokens: last.reportedUsage?.promptTokens ?? promptTokens,
      completionTokens: last.reportedUsage?.completionTokens ?? (last.generated ? await state.deps.model.countTokens(last.generated) : 0),
    };
    addModelCall(state.usage.turn, callUsage);
    // The answer is what the last call that wrote for the user produced (OpenAI's `usage`).
    if (!deciding) state.usage.answer = callUsage;
    if (last.failure) return yield* onModelFailure(state, last.failure, deciding);
    if (!(yield* afterTurn(state, last))) break;
  }
  yield finishEvent(last?.finishReason ?? "stop", state.usage);
}

/** max_tokens of an answer call: exactly the caller's when the context holds it, else the default cut to the room left. */
function answerTokens(state: RunState, promptTokens: number, room: number): number {
  const { contextTokens, safetyTokens } = state.deps.config.budgets;
  const requested = state.request.maxTokens;
  if (requested !== undefined) {
    if (requested > room) throw contextTooLong(promptTokens, requested, contextTokens, requested + safetyTokens);
    return requested;
  }
  if (room < 1) throw contextTooLong(promptTokens, undefined, contextTokens, MIN_ANSWER_TOKENS + safetyTokens);
  return Math.min(answerBudget(state.request, state.deps.config, state.mode), room);
}

/** Handles what a generation produced; true when another generation should follow. */
async function* afterTurn(state: RunState, turn: GenerateTurnResult): AsyncGenerator<ChatEvent, boolean> {
  const { config } = state.deps;
  if (state.mode === "never") return false;
  if (!turn.call) {
    if (state.mode !== "always" || state.searches > 0) return false;
    yield* searchRound(state, { query: fallbackQuery(state.question), textBefore: "" });
    return true;
  }
  const parsed = parseToolCall(turn.call.raw, [config.toolName, REFERENCE_TOOL_NAME]);
  if (parsed.ok || parsed.problem === "unknown-tool") {
    yield { type: "tool-call", name: parsed.name, arguments: parsed.arguments };
  }
  if (state.searches >= config.searchRounds) {
    yield errorEvent("search-limit");
    appendToolTurn(state, turn.text, parsed.ok ? parsed.name : config.toolName, parsed.ok ? parsed.arguments : {}, buildSearchLimitObservation());
    return true;
  }
  if (!parsed.ok && parsed.problem === "unknown-tool") {
    yield errorEvent("tool-unknown");
    appendToolTurn(state, turn.text, parsed.name, parsed.arguments, buildUnknownToolObservation({ name: parsed.name, toolName: config.toolName }));
    return true;
  }
  if (!parsed.ok) yield errorEvent("tool-call-invalid");
  const call = parsed.ok ? { name: parsed.name, arguments: parsed.arguments, query: parsed.query } : { query: fallbackQuery(state.question) };
  yield* searchRound(state, { ...call, textBefore: turn.text });
  return true;
}

async function* searchRound(
  state: RunState,
  call: { query: string; textBefore: string; name?: string; arguments?: Record<string, unknown> },
): AsyncGenerator<ChatEvent> {
  const { deps } = state;
  const result = yield* research(
    {
      question: state.question,
      query: call.query,
      round: state.searches,
      firstIndex: state.sources.length + 1,
      excludeUrls: new Set(state.sources.map((source) => urlKey(source.url))),
      ...(state.request.searchFilter ? { filter: state.request.searchFilter } : {}),
      ...(state.request.signal ? { signal: state.request.signal } : {}),
    },
    { ...deps, model: meterCompletions(deps.model, state.usage.turn) },
  );
  state.searches += 1;
  state.sources.push(...result.sources);
  state.citable.push(...result.citable);
  state.rewriter.setSources(citableMap(state.citable), new Set(state.sources.map((source) => source.index)));
  const callArguments = call.arguments ?? { query: call.query };
  appendToolTurn(state, call.textBefore, call.name ?? deps.config.toolName, callArguments, "");
  const messages = [{ role: "system", content: state.system }, ...state.turns];
  const used = (await deps.model.countTokens(renderChatTemplate(messages, { addGenerationPrompt: true }))) + state.mediaTokens;
  const budgets = deps.config.budgets;
  const observation = await fitObservation({
    question: state.question,
    research: result,
    budgetTokens: budgets.contextTokens - used - answerBudget(state.request, deps.config, state.mode) - budgets.safetyTokens,
    countTokens: (text) => deps.model.countTokens(text),
  });
  const last = state.turns[state.turns.length - 1];
  if (last) last.content = observation;
  yield { type: "status", stage: "writing" };
  // Text the model wrote before its call is already shown: the answer starts a new paragraph.
  if (state.rewriter.textLength > 0) yield* state.rewriter.push("\n\n");
}

/** Writes the assistant's call and its observation into the conversation, as the model was trained. */
function appendToolTurn(state: RunState, textBefore: string, name: string, callArguments: Record<string, unknown>, observation: string): void {
  const call = neutralize(pythonJson({ name, arguments: callArguments }));
  state.turns.push({ role: "assistant", content: `${neutralize(textBefore)}${FUNCTION_START}${call}${FUNCTION_END}` });
  state.turns.push({ role: "observation", content: observation });
}

async function* onModelFailure(state: RunState, failure: AgentError, deciding: boolean): AsyncGenerator<ChatEvent> {
  if (failure.code === "aborted" || state.request.signal?.aborted) throw new AgentError("aborted");
  yield failureEvent(failure);
  // In mode `always` the search does not depend on the model: the user still gets the sources.
  if (deciding) yield* searchRound(state, { query: fallbackQuery(state.question), textBefore: "" });
  if (state.rewriter.textLength === 0 && state.citable.length > 0) yield* fallbackAnswer(state.citable, state.rewriter, state.question);
  yield finishEvent("error", state.usage);
}

function fallbackQuery(question: string): string {
  return cleanQuery(question);
}

function citableMap(sources: ResearchSource[]): Map<number, CitableSource> {
  return new Map(sources.map((source) => [source.index, { index: source.index, url: source.url, title: source.title }]));
}

function errorEvent(code: "search-limit" | "tool-unknown" | "tool-call-invalid"): ChatEvent {
  const error = new AgentError(code);
  return { type: "error", code, message: error.publicMessage, retryable: false };
}
