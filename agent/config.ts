/**
 * The agent's configuration: one zod schema with the defaults, parsed once by
 * each entry point (worker, jobs, bench) and passed down as a typed object.
 * Defaults follow the reference where it matters (5 pages, 1 search round,
 * 4096-token context, 512 answer tokens) and add the deadlines it lacked.
 */
import { z } from "zod";

export const searchModeSchema = z.enum(["auto", "always", "never"]);

const deadlinesSchema = z.object({
  /** Search provider call. */
  searchMs: z.number().int().positive().default(6_000),
  /** One page fetch (the fetcher may have its own, shorter one). */
  pageMs: z.number().int().positive().default(8_000),
  /**
   * From the moment search results arrive until the answer starts: pages not
   * summarized by then are cited through their search snippet instead.
   */
  readMs: z.number().int().positive().default(2_500),
  /** Whole model call (decision, answer, summary batch). */
  modelMs: z.number().int().positive().default(60_000),
});

const budgetsSchema = z.object({
  /** Model context window in tokens (Megrez-3B: 4096). */
  contextTokens: z.number().int().positive().default(4_096),
  /** max_tokens of the answer when search is on (reference: 512). */
  answerMaxTokens: z.number().int().positive().default(512),
  /** max_tokens of the answer in plain chat (search mode never). */
  chatMaxTokens: z.number().int().positive().default(1_024),
  /** max_tokens of the decision call in mode `always`, where its text is discarded. */
  decisionMaxTokens: z.number().int().positive().default(96),
  /** Page text given to one summary prompt. */
  pageInputTokens: z.number().int().positive().default(1_536),
  /** max_tokens of one page summary. */
  summaryMaxTokens: z.number().int().positive().default(200),
  /**
   * Placeholder tokens held back per attached image (the engine's /tokenize
   * counts text only): at most 9 slices plus the overview, 64 each, plus markers.
   */
  imageTokens: z.number().int().nonnegative().default(672),
  /** Placeholder tokens per second of attached audio (the encoder pools to about 25/s). */
  audioTokensPerSecond: z.number().nonnegative().default(25),
  /** Cap per audio clip: the engine takes at most 30 s, so 750 frames plus BOS and EOS. */
  audioMaxTokens: z.number().int().nonnegative().default(752),
  /** Headroom for tokenizer disagreement and template tokens. */
  safetyTokens: z.number().int().nonnegative().default(48),
});

export const agentConfigSchema = z.object({
  defaultSearchMode: searchModeSchema.default("auto"),
  /** Name of the search tool in the system prompt's function schema. */
  toolName: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default("webSearch"),
  /** Search results read per round (reference: 5). */
  pages: z.number().int().min(1).max(10).default(5),
  /** Searches allowed per user message (reference: 1). */
  searchRounds: z.number().int().min(1).max(4).default(1),
  /** Most recent user turns kept before the token budget applies. */
  historyTurns: z.number().int().min(1).max(50).default(8),
  agentTemperature: z.number().min(0).max(2).default(0.01),
  /**
   * Seed of the agent's own model calls (the search decision in mode `always`, page
   * summaries), so the same request gives the same notes and answer; a request's
   * `seed` replaces it for the decision.
   */
  agentSeed: z.number().int().nonnegative().default(0),
  chatTemperature: z.number().min(0).max(2).default(0.4),
  /** IANA zone of the clock line in the system prompt. */
  timezone: z.string().default("Asia/Shanghai"),
  assistantName: z.string().min(1).default("Megrez"),
  deadlines: deadlinesSchema.prefault({}),
  budgets: budgetsSchema.prefault({}),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** Parses a (partial) config; throws a zod error that names the bad field. */
export function parseAgentConfig(input: unknown = {}): AgentConfig {
  return agentConfigSchema.parse(input);
}
