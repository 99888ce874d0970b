/**
 * The production pipeline of a run: the worker's configuration, the chat's
 * research dependencies (engine client, search provider, page fetcher,
 * extractor) and the digest writer from agent/digest.ts. Nothing here is
 * specific to jobs except turning a job spec into a digest request.
 */
import { DigestError, writeDigest, type DigestRequest } from "../../agent/digest";
import { configFromEnv } from "../config";
import type { Env } from "../env";
import { domainFilterOf } from "../search-filter-schema";
import type { JobSpec } from "./job-spec";
import { jobKey } from "../pool/affinity-key";
import { researchDepsFor } from "./research-deps";
import type { RunPipeline } from "./run-executor";

export function createRunPipeline(env: Env): RunPipeline {
  return async ({ jobId, spec, slot, origin, signal }) => {
    const config = configFromEnv(env);
    if (!config.ok) throw new DigestError("search-failed", config.error.message, false);
    const research = researchDepsFor(env, config.value, spec.search.provider, origin, jobKey(jobId));
    return writeDigest(digestRequestFor(spec, slot), { research, signal });
  };
}

export function digestRequestFor(spec: JobSpec, slot: number): DigestRequest {
  return {
    name: spec.name,
    ...(spec.topic !== undefined ? { topic: spec.topic } : {}),
    queries: spec.queries ?? [],
    language: spec.digest.language,
    length: spec.digest.length,
    pages: spec.search.pages,
    ...(spec.search.freshness ? { freshness: spec.search.freshness } : {}),
    ...(spec.search.domains && spec.search.domains.length > 0 ? { domains: domainFilterOf(spec.search.domains) } : {}),
    scheduledFor: new Date(slot),
  };
}
