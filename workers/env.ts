/**
 * The worker's bindings as wrangler.toml declares them. Parsed once per entry
 * into typed config (see workers/config.ts); nothing reads `env` ad hoc.
 */
export interface Env {
  ENGINE_URL: string;
  ENGINE_MODEL: string;
  SEARCH_PROVIDER: string;
  SEARCH_MODE: string;
  ASSETS: Fetcher;
}
