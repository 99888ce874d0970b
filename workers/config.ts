/**
 * Typed configuration of the edge worker, parsed once per entry from the
 * bindings' string variables with zod. A bad value becomes a ConfigError that
 * names the variable (never its value: several are secrets), so a deploy with
 * a typo fails loudly on its first request instead of misbehaving later.
 */
import { z } from "zod";
import { agentConfigSchema, searchModeSchema, type AgentConfig } from "../agent/config";
import { attachmentKindSchema, type AttachmentPolicy } from "./attachments";
import { LOG_LEVELS, type LogLevel } from "./log";
import { DEFAULT_POOL_SETTINGS, type PoolSettings } from "./pool/replica-health";
import { SEARCH_PROVIDER_NAMES, type SearchProviderName } from "../search/providers/index";
import { domainFilterListSchema, recencySchema } from "./search-filter-schema";

export type SearchMode = z.infer<typeof searchModeSchema>;

/** Comma-separated list -> trimmed, non-empty entries. */
const commaList = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );

const booleanFlag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : v === "true" || v === "1" || v === "yes"));

const nonNegativeInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) {
        ctx.addIssue({ code: "custom", message: "expected a non-negative integer" });
        return z.NEVER;
      }
      return n;
    });

const boundedInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `expected an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const originSchema = z
  .string()
  .url()
  .transform((u) => new URL(u).origin);

const siteKeySchema = z.object({
  origins: z.array(originSchema).min(1),
  rateLimitPerMinute: z.number().int().nonnegative().optional(),
  /** Crawled sites (names or ids, docs/sites.md) the widget answers from; absent = the configured search provider. */
  sites: z.array(z.string().min(1).max(80)).min(1).max(20).optional(),
  /** Default domain filter of this site's widget (Sonar syntax); a request may narrow it, never widen it. */
  domains: domainFilterListSchema.optional(),
  /** Default recency window of this site's widget. */
  recency: recencySchema.optional(),
});
export type SiteKeyConfig = z.infer<typeof siteKeySchema>;

const siteKeysSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === "") return new Map<string, SiteKeyConfig>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: 'expected JSON: {"<key>": {"origins": ["https://…"]}}' });
      return z.NEVER;
    }
    const result = z.record(z.string().min(1), siteKeySchema).safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: "custom", message: z.prettifyError(result.error).replace(/\s+/g, " ") });
      return z.NEVER;
    }
    return new Map(Object.entries(result.data));
  });

const agentConfigJson = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    let input: unknown = {};
    if (raw !== undefined && raw.trim() !== "") {
      try {
        input = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: "custom", message: "expected a JSON object (a partial agent config, see agent/config.ts)" });
        return z.NEVER;
      }
    }
    const result = agentConfigSchema.safeParse(input);
    if (!result.success) {
      ctx.addIssue({ code: "custom", message: z.prettifyError(result.error).replace(/\s+/g, " ") });
      return z.NEVER;
    }
    return result.data;
  });

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const optionalUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === "") return undefined;
    if (!URL.canParse(v)) {
      ctx.addIssue({ code: "custom", message: "expected an absolute URL" });
      return z.NEVER;
    }
    return v.replace(/\/+$/, "");
  });

/** An engine's address: its origin; an OpenAI-style base ending in /v1 is accepted too. */
function engineOrigin(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** The variables the worker reads. Defaults here are the single source of truth (docs/api.md lists them). */
const envSchema = z.object({
  ENGINE_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const url = v === undefined || v.trim() === "" ? "http://127.0.0.1:8080" : v.trim();
      if (!URL.canParse(url)) {
        ctx.addIssue({ code: "custom", message: "expected an absolute URL" });
        return z.NEVER;
      }
      return engineOrigin(url);
    }),
  /** A pool of engines (docs/engine.md, "A pool of engines"); when set, ENGINE_URL is not used. */
  ENGINE_URLS: commaList.transform((urls, ctx) => {
    const bad = urls.filter((url) => !URL.canParse(url));
    if (bad.length > 0) {
      ctx.addIssue({ code: "custom", message: `expected a comma-separated list of absolute URLs (${bad.length} are not)` });
      return z.NEVER;
    }
    return [...new Set(urls.map(engineOrigin))];
  }),
  /** Container instances behind an ENGINE Durable Object binding. */
  ENGINE_INSTANCES: boundedInt(1, 64, 1),
  ENGINE_POOL_SPILL_AT: boundedInt(1, 10_000, DEFAULT_POOL_SETTINGS.spillAt),
  ENGINE_POOL_EJECT_AFTER: boundedInt(1, 100, DEFAULT_POOL_SETTINGS.ejectAfter),
  ENGINE_POOL_EJECT_MS: boundedInt(100, 3_600_000, DEFAULT_POOL_SETTINGS.ejectMs),
  ENGINE_POOL_PROBE_MS: boundedInt(0, 600_000, DEFAULT_POOL_SETTINGS.probeMs),
  ENGINE_MODEL: z.string().trim().min(1).default("megrez"),
  ENGINE_API_KEY: optionalSecret,
  ENGINE_TIMEOUT_MS: nonNegativeInt(120_000),
  SEARCH_PROVIDER: z.preprocess((v) => (v === "" ? undefined : v), z.enum(SEARCH_PROVIDER_NAMES).default("local")),
  SEARCH_FALLBACK: commaList.pipe(z.array(z.enum(SEARCH_PROVIDER_NAMES))),
  SEARCH_MODE: z.preprocess((v) => (v === "" ? undefined : v), searchModeSchema.default("auto")),
  SERPER_API_KEY: optionalSecret,
  BRAVE_API_KEY: optionalSecret,
  TAVILY_API_KEY: optionalSecret,
  SEARXNG_URL: optionalUrl,
  API_KEYS: commaList,
  WIDGET_SITE_KEYS: siteKeysSchema,
  CORS_ORIGINS: commaList.pipe(z.array(originSchema)),
  RATE_LIMIT_KEY_PER_MINUTE: nonNegativeInt(60),
  RATE_LIMIT_IP_PER_MINUTE: nonNegativeInt(120),
  MAX_BODY_BYTES: nonNegativeInt(131_072),
  MAX_MESSAGE_CHARS: nonNegativeInt(8_000),
  /** Answers running at once across the deployment; one more is refused with 503 + Retry-After. 0 = no limit. */
  MAX_CONCURRENT_CHATS: nonNegativeInt(0),
  /** Attachment kinds the chat endpoints accept and the widget offers: `image`, `audio`; unset = text only. */
  ATTACHMENTS: commaList.pipe(z.array(attachmentKindSchema)),
  MAX_ATTACHMENT_BYTES: nonNegativeInt(4 * 1024 * 1024),
  KEEP_ALIVE_MS: nonNegativeInt(15_000),
  SESSION_TTL_HOURS: nonNegativeInt(720),
  PUBLIC_URL: optionalUrl,
  ALLOW_PRIVATE_FETCH: booleanFlag(false),
  ALLOW_FETCH_HOSTS: commaList.pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i, "expected host or host:port"))),
  AGENT_CONFIG: agentConfigJson,
  LOG_LEVEL: z.preprocess((v) => (v === "" ? undefined : v), z.enum(LOG_LEVELS).default("info")),
  // Scheduled digests (docs/jobs.md).
  JOBS_MAX_PER_KEY: boundedInt(1, 10_000, 50),
  JOBS_MIN_INTERVAL_MINUTES: boundedInt(1, 1440, 15),
  JOBS_RUN_MAX_ATTEMPTS: boundedInt(1, 10, 3),
  JOBS_RUN_RETRY_BASE_MS: boundedInt(0, 3_600_000, 60_000),
  JOBS_RUN_TIMEOUT_MS: boundedInt(1_000, 900_000, 300_000),
  JOBS_WEBHOOK_MAX_ATTEMPTS: boundedInt(1, 20, 5),
  JOBS_WEBHOOK_RETRY_BASE_MS: boundedInt(0, 3_600_000, 30_000),
  JOBS_WEBHOOK_TIMEOUT_MS: boundedInt(100, 60_000, 10_000),
  JOBS_RUNS_KEPT: boundedInt(1, 10_000, 100),
  // Crawled sites and their index (docs/sites.md).
  SITES_MAX_PER_KEY: boundedInt(1, 10_000, 20),
  SITES_MAX_PAGES: boundedInt(1, 100_000, 10_000),
  SITES_MIN_INTERVAL_MINUTES: boundedInt(1, 10_080, 60),
  SITES_REQUEST_INTERVAL_MS: boundedInt(0, 600_000, 250),
  SITES_PAGE_TIMEOUT_MS: boundedInt(100, 120_000, 15_000),
  SITES_STEP_MS: boundedInt(100, 600_000, 25_000),
  SITES_STEP_REQUESTS: boundedInt(1, 1_000, 40),
});

/** Every variable the worker reads, as the strings wrangler passes in (workers/env.ts types them from this). */
export type WorkerVariables = { [Name in keyof typeof envSchema.shape]?: string };

/** The scheduled-digest settings (`JOBS_*`). */
export interface JobsConfig {
  maxJobsPerKey: number;
  minIntervalMinutes: number;
  runMaxAttempts: number;
  runRetryBaseMs: number;
  runTimeoutMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
  runsKept: number;
}

/** Crawled sites (`SITES_*`) and the outbound policy their crawls share with the page fetcher. */
export interface SitesConfig {
  maxSitesPerKey: number;
  /** Cap on a site's `budgets.maxPages`. */
  maxPages: number;
  minIntervalMinutes: number;
  requestIntervalMs: number;
  pageTimeoutMs: number;
  stepMs: number;
  stepRequests: number;
  allowPrivateFetch: boolean;
  allowFetchHosts: string[];
}

export interface WorkerConfig {
  engine: {
    url: string;
    /** The engines of the pool: ENGINE_URLS, or ENGINE_URL alone. */
    urls: string[];
    /** Container instances when ENGINE is a Durable Object namespace. */
    instances: number;
    pool: PoolSettings;
    model: string;
    apiKey: string | undefined;
    timeoutMs: number;
  };
  search: {
    provider: SearchProviderName;
    fallback: SearchProviderName[];
    mode: SearchMode;
    apiKeys: { serper?: string; brave?: string; tavily?: string };
    searxngUrl: string | undefined;
  };
  auth: { apiKeys: ReadonlySet<string>; siteKeys: ReadonlyMap<string, SiteKeyConfig>; open: boolean };
  cors: { origins: ReadonlySet<string> };
  rateLimit: { perKeyPerMinute: number; perIpPerMinute: number };
  limits: { maxBodyBytes: number; maxMessageChars: number; maxConcurrentChats: number };
  attachments: AttachmentPolicy;
  /** How long a session lives after its last turn started; 0 = forever. */
  sessionTtlMs: number;
  keepAliveMs: number;
  publicUrl: string | undefined;
  allowPrivateFetch: boolean;
  /** Hosts (`host` or `host:port`) the page fetcher and crawler may reach although private. */
  allowFetchHosts: string[];
  /** AGENT_CONFIG with SEARCH_MODE as its default search mode. */
  agent: AgentConfig;
  logLevel: LogLevel;
  jobs: JobsConfig;
  sites: SitesConfig;
}

/** A configuration variable is invalid; the message names variables, never values. */
export class ConfigError extends Error {
  readonly code = "config_invalid";
  constructor(readonly issues: string[]) {
    super(`Invalid configuration: ${issues.join("; ")}`);
    this.name = "ConfigError";
  }
}

export type ConfigResult = { ok: true; value: WorkerConfig } | { ok: false; error: ConfigError };

/**
 * Parses the worker's variables (a plain record of strings; bindings such as
 * ASSETS are ignored).
 * @example
 * const r = parseConfig({ ENGINE_URL: "http://127.0.0.1:8080", API_KEYS: "k1,k2" });
 * if (r.ok) r.value.auth.apiKeys.has("k1"); // true
 */
export function parseConfig(vars: Record<string, unknown>): ConfigResult {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = vars[key];
    // wrangler [vars] may be numbers or booleans in TOML; normalize to strings.
    picked[key] = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`);
    return { ok: false, error: new ConfigError(issues) };
  }
  const e = parsed.data;
  const missing = providerSettingsMissing(e);
  if (missing.length > 0) return { ok: false, error: new ConfigError(missing) };
  const siteOrigins = [...e.WIDGET_SITE_KEYS.values()].flatMap((s) => s.origins);
  return {
    ok: true,
    value: {
      engine: {
        url: e.ENGINE_URL,
        urls: e.ENGINE_URLS.length > 0 ? e.ENGINE_URLS : [e.ENGINE_URL],
        instances: e.ENGINE_INSTANCES,
        pool: {
          spillAt: e.ENGINE_POOL_SPILL_AT,
          ejectAfter: e.ENGINE_POOL_EJECT_AFTER,
          ejectMs: e.ENGINE_POOL_EJECT_MS,
          probeMs: e.ENGINE_POOL_PROBE_MS,
        },
        model: e.ENGINE_MODEL,
        apiKey: e.ENGINE_API_KEY,
        timeoutMs: e.ENGINE_TIMEOUT_MS,
      },
      search: {
        provider: e.SEARCH_PROVIDER,
        fallback: e.SEARCH_FALLBACK,
        mode: e.SEARCH_MODE,
        apiKeys: {
          ...(e.SERPER_API_KEY ? { serper: e.SERPER_API_KEY } : {}),
          ...(e.BRAVE_API_KEY ? { brave: e.BRAVE_API_KEY } : {}),
          ...(e.TAVILY_API_KEY ? { tavily: e.TAVILY_API_KEY } : {}),
        },
        searxngUrl: e.SEARXNG_URL,
      },
      auth: { apiKeys: new Set(e.API_KEYS), siteKeys: e.WIDGET_SITE_KEYS, open: e.API_KEYS.length === 0 },
      cors: { origins: new Set([...e.CORS_ORIGINS, ...siteOrigins]) },
      rateLimit: { perKeyPerMinute: e.RATE_LIMIT_KEY_PER_MINUTE, perIpPerMinute: e.RATE_LIMIT_IP_PER_MINUTE },
      limits: { maxBodyBytes: e.MAX_BODY_BYTES, maxMessageChars: e.MAX_MESSAGE_CHARS, maxConcurrentChats: e.MAX_CONCURRENT_CHATS },
      attachments: { kinds: new Set(e.ATTACHMENTS), maxBytes: e.MAX_ATTACHMENT_BYTES },
      keepAliveMs: e.KEEP_ALIVE_MS,
      sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
      publicUrl: e.PUBLIC_URL,
      allowPrivateFetch: e.ALLOW_PRIVATE_FETCH,
      allowFetchHosts: e.ALLOW_FETCH_HOSTS.map((host) => host.toLowerCase()),
      agent: { ...e.AGENT_CONFIG, defaultSearchMode: e.SEARCH_MODE },
      logLevel: e.LOG_LEVEL,
      jobs: {
        maxJobsPerKey: e.JOBS_MAX_PER_KEY,
        minIntervalMinutes: e.JOBS_MIN_INTERVAL_MINUTES,
        runMaxAttempts: e.JOBS_RUN_MAX_ATTEMPTS,
        runRetryBaseMs: e.JOBS_RUN_RETRY_BASE_MS,
        runTimeoutMs: e.JOBS_RUN_TIMEOUT_MS,
        webhookMaxAttempts: e.JOBS_WEBHOOK_MAX_ATTEMPTS,
        webhookRetryBaseMs: e.JOBS_WEBHOOK_RETRY_BASE_MS,
        webhookTimeoutMs: e.JOBS_WEBHOOK_TIMEOUT_MS,
        runsKept: e.JOBS_RUNS_KEPT,
      },
      sites: {
        maxSitesPerKey: e.SITES_MAX_PER_KEY,
        maxPages: e.SITES_MAX_PAGES,
        minIntervalMinutes: e.SITES_MIN_INTERVAL_MINUTES,
        requestIntervalMs: e.SITES_REQUEST_INTERVAL_MS,
        pageTimeoutMs: e.SITES_PAGE_TIMEOUT_MS,
        stepMs: e.SITES_STEP_MS,
        stepRequests: e.SITES_STEP_REQUESTS,
        allowPrivateFetch: e.ALLOW_PRIVATE_FETCH,
        allowFetchHosts: e.ALLOW_FETCH_HOSTS.map((host) => host.toLowerCase()),
      },
    },
  };
}

/** A provider named in SEARCH_PROVIDER / SEARCH_FALLBACK without its key or URL. */
function providerSettingsMissing(e: z.infer<typeof envSchema>): string[] {
  const needs: Record<SearchProviderName, keyof z.infer<typeof envSchema> | undefined> = {
    local: undefined,
    serper: "SERPER_API_KEY",
    brave: "BRAVE_API_KEY",
    tavily: "TAVILY_API_KEY",
    searxng: "SEARXNG_URL",
  };
  return [e.SEARCH_PROVIDER, ...e.SEARCH_FALLBACK].flatMap((name) => {
    const setting = needs[name];
    return setting && e[setting] === undefined ? [`${setting}: required by search provider "${name}"`] : [];
  });
}

/** Reads the variables out of the bindings object and parses them. Called once in each entry. */
export function configFromEnv(env: object): ConfigResult {
  return parseConfig(Object.fromEntries(Object.entries(env)));
}
