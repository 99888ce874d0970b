/**
 * The research dependencies of a job run, built from the worker's config the
 * same way as the chat's. PENDING: the search providers and page fetcher have
 * not landed yet; until they do, a run fails with a clear, non-retryable
 * reason instead of pretending to search.
 */
import type { ResearchDeps } from "../../agent/research";
import { DigestError } from "../../agent/digest";
import type { WorkerConfig } from "../config";
import type { Env } from "../env";

export function researchDepsFor(_env: Env, _config: WorkerConfig, _provider: string | undefined, _origin: string): ResearchDeps {
  throw new DigestError("search-failed", "search providers are not available in this build", false);
}
