/**
 * The scheduled-digest jobs API under /api/jobs. Management routes need a
 * Bearer API key (API_KEYS) and only see the key's own jobs. The read-only
 * digest and feed routes also accept the job's feed token as `?token=`, since
 * feed readers cannot send headers. See docs/jobs.md.
 */
import { Hono, type Context } from "hono";
import type { ApiEnv, Principal } from "../api-context";
import { ApiError, errorResponse, internalError, isApiError } from "../errors";
import { describeError } from "../log";
import { requireAuth } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { ownerOf } from "../owner";
import { queryInt } from "../query-int";
import { requestContext } from "../middleware/request-context";
import { formatIssues, readJsonBody } from "../request-body";
import { ATOM_CONTENT_TYPE, renderAtomFeed } from "./atom-feed";
import { jobPatchSchema, jobSpecSchema, MAX_BODY_BYTES, mergePatch, type JobSpec } from "./job-spec";
import { createOwnerJob, findJob, type LocatedJob, listOwnerJobs } from "./registry-shards";
import { runnerStub } from "./runner";
import { checkSchedule } from "./schedule";
import { digestView, jobView, runDetailsView, runSummaryView } from "./views";

export const jobsRoutes = new Hono<ApiEnv>();

const MAX_RUNS_LISTED = 100;
const FEED_ENTRIES = 20;

jobsRoutes.use("/api/jobs", requestContext());
jobsRoutes.use("/api/jobs/*", requestContext());

/** Bearer auth for everything except the token-readable routes, which check inside. */
const bearer = requireAuth({ allowSiteKeys: false });
const tokenReadable = /\/(feed\.xml|digest\.md)$/;
jobsRoutes.use("/api/jobs", bearer);
jobsRoutes.use("/api/jobs/*", async (c, next) => {
  if (c.req.method === "GET" && tokenReadable.test(c.req.path) && c.req.query("token") !== undefined) {
    // The token is checked by the handler (readableJob); this principal only means
    // "no key": rate limiting then charges the client IP alone.
    c.set("principal", { kind: "open" });
    return next();
  }
  return bearer(c, next);
});
// The same per-key and per-IP budgets as the rest of the API (feed readers count per IP).
jobsRoutes.use("/api/jobs", rateLimit());
jobsRoutes.use("/api/jobs/*", rateLimit());

jobsRoutes.onError((err, c) => {
  if (isApiError(err)) return errorResponse(err);
  c.get("log")?.error("jobs route failed", describeError(err));
  return errorResponse(internalError());
});

jobsRoutes.post("/api/jobs", async (c) => {
  const spec = await readJsonBody(c, jobSpecSchema, MAX_BODY_BYTES);
  const config = c.get("config").jobs;
  assertSchedule(spec, config.minIntervalMinutes);
  const outcome = await createOwnerJob(c.env, ownerOfJobs(c.get("principal")), spec, baseUrl(c), Date.now(), config.maxJobsPerKey);
  if (!outcome.ok) {
    throw new ApiError("invalid_body", `This API key already has ${config.maxJobsPerKey} jobs (JOBS_MAX_PER_KEY); delete one first.`);
  }
  return c.json(jobView(outcome.job, Date.now(), baseUrl(c)), 201);
});

jobsRoutes.get("/api/jobs", async (c) => {
  const jobs = await listOwnerJobs(c.env, ownerOfJobs(c.get("principal")));
  const now = Date.now();
  return c.json({ jobs: jobs.map((job) => jobView(job, now, baseUrl(c))) });
});

jobsRoutes.get("/api/jobs/:id", async (c) => {
  const { job } = await ownedJob(c);
  return c.json(jobView(job, Date.now(), baseUrl(c)));
});

jobsRoutes.patch("/api/jobs/:id", async (c) => {
  const patch = await readJsonBody(c, jobPatchSchema, MAX_BODY_BYTES);
  const { job, registry } = await ownedJob(c);
  const merged = jobSpecSchema.safeParse(mergePatch(job.spec, patch));
  if (!merged.success) {
    throw new ApiError("invalid_body", `Invalid job after the patch: ${formatIssues(merged.error)}`);
  }
  assertSchedule(merged.data, c.get("config").jobs.minIntervalMinutes);
  const updated = await registry.updateJob(job.owner, job.id, merged.data, Date.now());
  if (!updated) throw notFound(job.id);
  return c.json(jobView(updated, Date.now(), baseUrl(c)));
});

jobsRoutes.delete("/api/jobs/:id", async (c) => {
  const { job, registry } = await ownedJob(c);
  // Runs first: if this fails the job still exists and the delete can be repeated.
  await runnerStub(c.env, job.id).destroy();
  await registry.deleteJob(job.owner, job.id);
  return c.json({ id: job.id, deleted: true });
});

jobsRoutes.post("/api/jobs/:id/feed-token", async (c) => {
  const { job, registry } = await ownedJob(c);
  const rotated = await registry.rotateFeedToken(job.owner, job.id, Date.now());
  if (!rotated) throw notFound(job.id);
  return c.json(jobView(rotated, Date.now(), baseUrl(c)));
});

/**
 * Runs the job now, outside its schedule (to try a new job); answers at once, the run is async. A run is
 * one per millisecond slot: a second request in the same millisecond (a double click) gets that run back,
 * `200` with `created: false`, instead of a `202` that would pretend to have queued another.
 */
jobsRoutes.post("/api/jobs/:id/runs", async (c) => {
  const { job } = await ownedJob(c);
  const slot = Date.now();
  const { runId, created, status } = await runnerStub(c.env, job.id).enqueue({ jobId: job.id, slot, spec: job.spec, origin: job.origin });
  const scheduledFor = new Date(slot).toISOString();
  if (created) return c.json({ runId, scheduledFor, status: "queued", created: true }, 202);
  return c.json(
    { runId, scheduledFor, status, created: false, message: "A run of this job was already requested in this millisecond: this is that run." },
    200,
  );
});

jobsRoutes.get("/api/jobs/:id/runs", async (c) => {
  const { job } = await ownedJob(c);
  const limit = queryInt(c.req.query("limit"), "limit", { fallback: 20, min: 1, max: MAX_RUNS_LISTED });
  const runs = await runnerStub(c.env, job.id).listRuns(limit);
  return c.json({ runs: runs.map(runSummaryView) });
});

jobsRoutes.get("/api/jobs/:id/runs/:runId", async (c) => {
  const { job } = await ownedJob(c);
  const details = await runnerStub(c.env, job.id).runDetails(c.req.param("runId"));
  if (!details) throw new ApiError("not_found", `No run ${c.req.param("runId")} in job ${job.id}.`);
  return c.json(runDetailsView(details));
});

jobsRoutes.get("/api/jobs/:id/digest", async (c) => {
  const { job } = await ownedJob(c);
  const [latest] = await runnerStub(c.env, job.id).digests(1);
  const view = latest ? digestView(latest) : null;
  if (!view) throw noDigest(job.id);
  return c.json(view);
});

jobsRoutes.get("/api/jobs/:id/digest.md", async (c) => {
  const { job } = await readableJob(c);
  const [latest] = await runnerStub(c.env, job.id).digests(1);
  if (!latest?.digest) throw noDigest(job.id);
  return markdown(latest.digest.markdown);
});

jobsRoutes.get("/api/jobs/:id/runs/:runId/digest.md", async (c) => {
  const { job } = await readableJob(c);
  const details = await runnerStub(c.env, job.id).runDetails(c.req.param("runId"));
  if (!details?.run.digest) throw new ApiError("not_found", `Run ${c.req.param("runId")} of job ${job.id} has no stored digest.`);
  return markdown(details.run.digest.markdown);
});

jobsRoutes.get("/api/jobs/:id/feed.xml", async (c) => {
  const { job } = await readableJob(c);
  const runs = await runnerStub(c.env, job.id).digests(FEED_ENTRIES);
  return c.body(renderAtomFeed(job, runs, baseUrl(c)), 200, { "content-type": ATOM_CONTENT_TYPE, "cache-control": "private, max-age=60" });
});

// Unknown paths and methods under /api/jobs: the app's 404 / 405 with Allow (workers/no-route.ts).
jobsRoutes.all("/api/jobs", (c) => c.notFound());
jobsRoutes.all("/api/jobs/*", (c) => c.notFound());

function assertSchedule(spec: JobSpec, minIntervalMinutes: number): void {
  const check = checkSchedule(spec.schedule, minIntervalMinutes, new Date());
  if (!check.ok) throw new ApiError("invalid_body", `Invalid request body: schedule: ${check.message}`, {}, `schedule.${check.field}`);
}

/** Jobs belong to the API key that created them (workers/owner.ts). */
const ownerOfJobs = (principal: Principal): string => ownerOf(principal, "jobs");

async function ownedJob(c: Context<ApiEnv>): Promise<LocatedJob> {
  const id = c.req.param("id") ?? "";
  const found = await findJob(c.env, ownerOfJobs(c.get("principal")), id);
  if (!found) throw notFound(id);
  return found;
}

/** Owner via Bearer key, or anyone holding the job's feed token. */
async function readableJob(c: Context<ApiEnv>): Promise<LocatedJob> {
  const token = c.req.query("token");
  if (token === undefined) return ownedJob(c);
  const id = c.req.param("id") ?? "";
  const found = await findJob(c.env, null, id);
  if (!found || !(await sameSecret(token, found.job.feedToken))) {
    throw new ApiError("invalid_api_key", "Unknown job or wrong feed token.");
  }
  return found;
}

/** Constant-time comparison (hash both sides so lengths do not leak either). */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(a)), crypto.subtle.digest("SHA-256", enc.encode(b))]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

function baseUrl(c: Context<ApiEnv>): string {
  return c.get("config").publicUrl ?? new URL(c.req.url).origin;
}

function markdown(text: string): Response {
  return new Response(text, { headers: { "content-type": "text/markdown; charset=utf-8" } });
}

const notFound = (id: string) => new ApiError("not_found", `No job ${id}.`);
const noDigest = (id: string) => new ApiError("not_found", `Job ${id} has no stored digest yet.`);
