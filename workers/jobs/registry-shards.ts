/**
 * The job registry, sharded by owner: each API key's jobs live in one of REGISTRY_SHARDS
 * JobRegistry objects (`registry-0` … `registry-15`), picked by a stable hash of the owner, so
 * no single object holds every job and a key's listing, limit and writes stay in one place. A
 * job's id carries its shard (its first hex byte), so a feed-token read, which knows no owner,
 * finds it at once. The cron dispatcher fans out across every shard.
 *
 * Jobs created before sharding stay in the one object named `registry`: it is read as one more
 * shard (after a job's own shard, with an owner's listing and count, in every dispatch) and
 * never receives a new job. The shard count is fixed: changing it would move owners.
 */
import type { Env } from "../env";
import { hash53 } from "../stable-hash";
import type { JobSpec } from "./job-spec";
import type { CreateOutcome, JobRegistry, StoredJob } from "./registry";

export const REGISTRY_SHARDS = 16;
const LEGACY_REGISTRY = "registry";

export type RegistryStub = DurableObjectStub<JobRegistry>;

/** A job and the registry object that holds it (writes go there). */
export interface LocatedJob {
  job: StoredJob;
  registry: RegistryStub;
}

export function shardOfOwner(owner: string): number {
  return hash53(`job-owner\u0000${owner}`) % REGISTRY_SHARDS;
}

/** The shard a job id names (its first hex byte), or null for ids that name none. */
export function shardOfJobId(id: string): number | null {
  const match = /^job_([0-9a-f]{2})/.exec(id);
  const shard = match?.[1] === undefined ? null : Number.parseInt(match[1], 16);
  return shard !== null && shard < REGISTRY_SHARDS ? shard : null;
}

/** The prefix a new job's id starts with in `shard`. */
export function jobIdPrefix(shard: number): string {
  return `job_${shard.toString(16).padStart(2, "0")}`;
}

function registryNamed(env: Env, name: string): RegistryStub {
  return env.JOB_REGISTRY.get(env.JOB_REGISTRY.idFromName(name));
}

function shardRegistry(env: Env, shard: number): RegistryStub {
  return registryNamed(env, `registry-${shard}`);
}

/** Every registry object: the shards, then the pre-sharding one. */
export function allRegistries(env: Env): RegistryStub[] {
  return [...Array.from({ length: REGISTRY_SHARDS }, (_, shard) => shardRegistry(env, shard)), registryNamed(env, LEGACY_REGISTRY)];
}

/** A job by id, for its owner (or anyone, with `owner` null: feed tokens and internal reads). */
export async function findJob(env: Env, owner: string | null, id: string): Promise<LocatedJob | null> {
  const shard = shardOfJobId(id);
  const places = [...(shard === null ? [] : [shardRegistry(env, shard)]), registryNamed(env, LEGACY_REGISTRY)];
  for (const registry of places) {
    const job = await registry.getJob(owner, id);
    if (job) return { job, registry };
  }
  return null;
}

export async function listOwnerJobs(env: Env, owner: string): Promise<StoredJob[]> {
  const [sharded, legacy] = await Promise.all([shardRegistry(env, shardOfOwner(owner)).listJobs(owner), registryNamed(env, LEGACY_REGISTRY).listJobs(owner)]);
  return [...legacy, ...sharded].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

export async function createOwnerJob(env: Env, owner: string, spec: JobSpec, origin: string, now: number, maxPerOwner: number): Promise<CreateOutcome> {
  const shard = shardOfOwner(owner);
  const legacyCount = await registryNamed(env, LEGACY_REGISTRY).countJobs(owner);
  return shardRegistry(env, shard).createJob(owner, spec, origin, now, maxPerOwner - legacyCount, jobIdPrefix(shard));
}
