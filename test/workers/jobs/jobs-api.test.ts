import { afterEach, describe, expect, it } from "vitest";
import { api, createJob, KEY_B, type JobJson } from "./support/api";

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE" });
});

const base = {
  name: "Edge runtime weekly",
  topic: "Cloudflare Workers runtime news",
  schedule: { cron: "0 8 * * 1", timezone: "Europe/Berlin" },
};

async function make(spec: Record<string, unknown> = base): Promise<JobJson> {
  const job = await createJob(spec);
  created.push(job.id);
  return job;
}

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
  return { status: res.status, ...body.error };
}

describe("jobs API", () => {
  it("creates a job with defaults, shows the next run times and reads it back", async () => {
    const job = await make();
    expect(job.id).toMatch(/^job_[0-9a-f]{24}$/);
    expect(job).toMatchObject({
      name: "Edge runtime weekly",
      search: { pages: 5 },
      digest: { language: "en", length: "medium" },
      delivery: { store: true, webhook: null },
      enabled: true,
    });
    // Mondays 08:00 in Berlin: 07:00 UTC in winter.
    expect(job.schedule.nextRuns).toHaveLength(3);
    for (const run of job.schedule.nextRuns) {
      const d = new Date(run);
      expect(d.getUTCDay()).toBe(1);
      expect([6, 7]).toContain(d.getUTCHours());
    }
    expect(job.feedUrl).toMatch(new RegExp(`^https://jobs\\.test/api/jobs/${job.id}/feed\\.xml\\?token=[A-Za-z0-9_-]{43}$`));
    const read = await api(`/api/jobs/${job.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(job);
  });

  it("lists only the caller's jobs and hides other keys' jobs", async () => {
    const mine = await make();
    const list = (await (await api("/api/jobs")).json()) as { jobs: JobJson[] };
    expect(list.jobs.map((j) => j.id)).toContain(mine.id);
    const other = (await (await api("/api/jobs", { key: KEY_B })).json()) as { jobs: JobJson[] };
    expect(other.jobs.map((j) => j.id)).not.toContain(mine.id);
    expect((await api(`/api/jobs/${mine.id}`, { key: KEY_B })).status).toBe(404);
  });

  it("requires a valid API key", async () => {
    expect(await errorOf(await api("/api/jobs", { key: null }))).toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(await errorOf(await api("/api/jobs", { key: "not-a-key" }))).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("patches fields, re-validates the whole job and never shows the webhook secret", async () => {
    const job = await make();
    const res = await api(`/api/jobs/${job.id}`, {
      method: "PATCH",
      json: {
        schedule: { cron: "30 6 * * *" },
        delivery: { store: false, webhook: { url: "https://hooks.example.com/digest", secret: "s3cret-s3cret-s3cret" } },
      },
    });
    const patched = (await res.json()) as JobJson;
    expect(res.status).toBe(200);
    expect(patched.schedule).toMatchObject({ cron: "30 6 * * *", timezone: "UTC" });
    expect(new Date(patched.schedule.nextRuns[0]!).getUTCHours()).toBe(6);
    expect(patched.delivery).toEqual({ store: false, webhook: { url: "https://hooks.example.com/digest", secretSet: true } });
    expect(JSON.stringify(patched)).not.toContain("s3cret");

    const cleared = await api(`/api/jobs/${job.id}`, { method: "PATCH", json: { topic: null } });
    expect(await errorOf(cleared)).toMatchObject({ status: 400, code: "invalid_body" });
    const badPatch = await api(`/api/jobs/${job.id}`, { method: "PATCH", json: { nmae: "typo" } });
    expect((await errorOf(badPatch)).message).toMatch(/nmae/);
  });

  it("deletes a job", async () => {
    const job = await createJob(base);
    const res = await api(`/api/jobs/${job.id}`, { method: "DELETE" });
    expect(await res.json()).toEqual({ id: job.id, deleted: true });
    expect(await errorOf(await api(`/api/jobs/${job.id}`))).toMatchObject({ status: 404, code: "not_found" });
    expect((await api(`/api/jobs/${job.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("limits the number of jobs per API key (JOBS_MAX_PER_KEY)", async () => {
    const key = `jobs-limit-${crypto.randomUUID()}`;
    const vars = { API_KEYS: key, JOBS_MAX_PER_KEY: "2" };
    const post = () => api("/api/jobs", { method: "POST", json: base, key, vars });
    for (let i = 0; i < 2; i++) {
      const res = await post();
      expect(res.status).toBe(201);
      created.push(((await res.json()) as JobJson).id);
    }
    const over = await errorOf(await post());
    expect(over).toMatchObject({ status: 400, code: "invalid_body" });
    expect(over.message).toMatch(/already has 2 jobs/);
    // Cleanup goes through the same key.
    for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE", key, vars });
  });

  it("rotates the feed token", async () => {
    const job = await make();
    const res = await api(`/api/jobs/${job.id}/feed-token`, { method: "POST" });
    const rotated = (await res.json()) as JobJson;
    expect(rotated.feedUrl).not.toBe(job.feedUrl);
    expect((await api(new URL(job.feedUrl).pathname + new URL(job.feedUrl).search, { key: null })).status).toBe(401);
    expect((await api(new URL(rotated.feedUrl).pathname + new URL(rotated.feedUrl).search, { key: null })).status).toBe(200);
  });
});

describe("jobs API validation", () => {
  const post = (json: unknown) => api("/api/jobs", { method: "POST", json });

  it("rejects an invalid cron expression, naming the problem", async () => {
    const err = await errorOf(await post({ ...base, schedule: { cron: "61 * * * *" } }));
    expect(err).toMatchObject({ status: 400, code: "invalid_body", type: "invalid_request_error", param: "schedule.cron" });
    expect(err.message).toContain('Invalid cron expression "61 * * * *"');
    expect(err.message).toContain("minute");
  });

  it("rejects a cron with the wrong number of fields, an unknown time zone and too frequent runs", async () => {
    expect((await errorOf(await post({ ...base, schedule: { cron: "* * * *" } }))).message).toMatch(/five/);
    const zone = await errorOf(await post({ ...base, schedule: { cron: "0 8 * * *", timezone: "Mars/Olympus" } }));
    expect(zone.message).toMatch(/Invalid time zone "Mars\/Olympus"/);
    expect(zone.param).toBe("schedule.timezone");
    const frequent = await errorOf(await post({ ...base, schedule: { cron: "*/5 * * * *" } }));
    expect(frequent.message).toMatch(/more often than every 15 minutes/);
    expect(frequent.param).toBe("schedule.cron");
  });

  it("rejects unknown fields at any depth", async () => {
    const top = await errorOf(await post({ ...base, colour: "blue" }));
    expect(top).toMatchObject({ status: 400, code: "invalid_body" });
    expect(top.message).toMatch(/colour/);
    const nested = await errorOf(await post({ ...base, search: { pages: 3, engine: "x" } }));
    expect(nested.message).toMatch(/search.*engine|engine/);
  });

  it("takes a domain filter and an hour window in search, and names a bad domain", async () => {
    const job = await make({ ...base, search: { pages: 3, freshness: "hour", domains: ["cloudflare.com", "-community.cloudflare.com"] } });
    expect(job.search).toMatchObject({ pages: 3, freshness: "hour", domains: ["cloudflare.com", "-community.cloudflare.com"] });
    const bad = await errorOf(await post({ ...base, search: { domains: ["cloudflare.com", "not a domain"] } }));
    expect(bad).toMatchObject({ status: 400, code: "invalid_body" });
    expect(bad.message).toContain("search.domains.1");
  });

  it("rejects an oversized body with 413", async () => {
    const err = await errorOf(await post({ ...base, topic: "x".repeat(20_000) }));
    expect(err).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("rejects over-long fields, too many queries and bad values with field paths", async () => {
    expect((await errorOf(await post({ ...base, name: "n".repeat(121) }))).message).toMatch(/name/);
    const queries = Array.from({ length: 11 }, (_, i) => `q${i}`);
    expect((await errorOf(await post({ ...base, queries }))).message).toMatch(/queries/);
    expect((await errorOf(await post({ ...base, search: { pages: 50 } }))).message).toMatch(/search\.pages/);
    expect((await errorOf(await post({ ...base, digest: { length: "epic" } }))).message).toMatch(/digest\.length/);
    expect((await errorOf(await post({ ...base, digest: { language: "english!" } }))).message).toMatch(/BCP 47/);
  });

  it("needs a topic or queries, and a delivery target", async () => {
    const { topic: _topic, ...noSubject } = base;
    expect((await errorOf(await post(noSubject))).message).toMatch(/topic.*queries/);
    expect((await errorOf(await post({ ...base, delivery: { store: false } }))).message).toMatch(/store: true.*webhook/);
  });

  it("accepts only https webhooks to public hosts with a long enough secret", async () => {
    const hook = (url: string, secret = "0123456789abcdef") => post({ ...base, delivery: { webhook: { url, secret } } });
    expect((await errorOf(await hook("http://hooks.example.com/x"))).message).toMatch(/https/);
    expect((await errorOf(await hook("https://127.0.0.1/x"))).message).toMatch(/private/);
    expect((await errorOf(await hook("https://localhost/x"))).message).toMatch(/private/);
    expect((await errorOf(await hook("https://hooks.example.com/x", "short"))).message).toMatch(/16 characters/);
  });

  it("takes ?limit on the runs list as a whole number, and names a bad one in param", async () => {
    const job = await make();
    for (const limit of ["1", "100", "500", " 7 ", "", "99999999999999999999"])
      expect((await api(`/api/jobs/${job.id}/runs?limit=${limit}`)).status, limit).toBe(200);
    for (const limit of ["abc", "0", "-3", "2.5", "1e2", "0x10"]) {
      expect(await errorOf(await api(`/api/jobs/${job.id}/runs?limit=${limit}`)), limit).toMatchObject({
        status: 400,
        type: "invalid_request_error",
        code: "invalid_query",
        param: "limit",
      });
    }
  });

  it("rejects malformed JSON and non-JSON bodies", async () => {
    const bad = await api("/api/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "invalid_json" });
    const text = await api("/api/jobs", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
    expect(await errorOf(text)).toMatchObject({ status: 415 });
  });
});
