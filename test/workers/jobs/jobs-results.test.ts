import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { load } from "cheerio";
import { afterEach, describe, expect, it } from "vitest";
import type { Digest } from "../../../agent/digest";
import { parseConfig } from "../../../workers/config";
import { DeliveryStore } from "../../../workers/jobs/delivery-store";
import { processDue } from "../../../workers/jobs/run-executor";
import { RunStore } from "../../../workers/jobs/run-store";
import { runnerStub } from "../../../workers/jobs/runner";
import { jobSpecSchema } from "../../../workers/jobs/job-spec";
import { api, createJob, KEY_B, type JobJson } from "./support/api";

function defaultJobsConfig() {
  const parsed = parseConfig({});
  if (!parsed.ok) throw parsed.error;
  return parsed.value.jobs;
}

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE" });
});

const specInput = { name: "Feed <test> & co", topic: "edge computing", schedule: { cron: "0 9 * * *" } };

function digestFor(day: number): Digest {
  const title = `Feed <test> & co: 2026-11-${day}`;
  const body = `Day ${day}: **isolates** start fast [1] and scale [2].\n\n- cold starts shrink [1]`;
  const sources = [
    { index: 1, url: `https://a.example.com/${day}?x=1&y=2`, title: "A & B", domain: "a.example.com" },
    { index: 2, url: `https://b.example.com/${day}`, title: "B", domain: "b.example.com" },
  ];
  return {
    title,
    body,
    markdown: `# ${title}\n\n${body}\n\n## Sources\n\n1. [A & B](${sources[0]!.url})\n2. [B](${sources[1]!.url})\n`,
    sources,
    cited: [1, 2],
    dropped: [],
    queries: [],
    failedQueries: [],
  };
}

/** Records succeeded runs with the given digests in the job's runner, oldest first. */
async function seedDigests(job: JobJson, days: number[]) {
  const spec = jobSpecSchema.parse(specInput);
  await runInDurableObject(runnerStub(env, job.id), async (_i, state) => {
    const store = new RunStore(state.storage.sql);
    const deliveries = new DeliveryStore(state.storage.sql);
    for (const day of days) {
      store.enqueue({ id: `run_${job.id}_${day}`, jobId: job.id, slot: Date.UTC(2026, 10, day, 9), spec, origin: "https://jobs.test", now: Date.now() });
      await processDue({
        store,
        deliveries,
        pipeline: async () => digestFor(day),
        send: fetch,
        config: defaultJobsConfig(),
        now: () => Date.now(),
        newId: (p) => `${p}_${day}`,
      });
    }
  });
}

describe("results", () => {
  it("lists runs and serves the latest digest as JSON and Markdown", async () => {
    const job = await createJob(specInput);
    created.push(job.id);
    expect((await api(`/api/jobs/${job.id}/digest`)).status).toBe(404);
    await seedDigests(job, [25, 26]);

    const runs = (await (await api(`/api/jobs/${job.id}/runs`)).json()) as { runs: { id: string; status: string; scheduledFor: string }[] };
    expect(runs.runs.map((r) => [r.scheduledFor, r.status])).toEqual([
      ["2026-11-26T09:00:00.000Z", "succeeded"],
      ["2026-11-25T09:00:00.000Z", "succeeded"],
    ]);
    const details = await (await api(`/api/jobs/${job.id}/runs/${runs.runs[0]!.id}`)).json();
    expect(details).toMatchObject({ status: "succeeded", attemptLog: [{ attempt: 1, outcome: "succeeded" }], deliveries: [] });

    const latest = (await (await api(`/api/jobs/${job.id}/digest`)).json()) as { title: string; sources: unknown[]; cited: number[] };
    expect(latest).toMatchObject({ title: "Feed <test> & co: 2026-11-26", cited: [1, 2] });
    const md = await api(`/api/jobs/${job.id}/digest.md`);
    expect(md.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(await md.text()).toBe(digestFor(26).markdown);
    expect((await api(`/api/jobs/${job.id}/digest.md`, { key: KEY_B })).status).toBe(404);
  });

  it("serves a valid Atom feed to holders of the feed token only", async () => {
    const job = await createJob(specInput);
    created.push(job.id);
    await seedDigests(job, [24, 25, 26]);
    const feedPath = new URL(job.feedUrl).pathname;
    const token = new URL(job.feedUrl).searchParams.get("token")!;

    expect((await api(feedPath, { key: null })).status).toBe(401);
    expect((await api(`${feedPath}?token=wrong`, { key: null })).status).toBe(401);
    const res = await api(`${feedPath}?token=${token}`, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const text = await res.text();
    expect(text.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);

    const $ = load(text, { xml: true });
    const feed = $("feed");
    expect(feed.length).toBe(1);
    expect(feed.attr("xmlns")).toBe("http://www.w3.org/2005/Atom");
    // RFC 4287 4.1.1: exactly one id, title, updated; an author when entries have none.
    expect(feed.children("id").length).toBe(1);
    expect(feed.children("id").text()).toBe(`urn:megrez-edge:job:${job.id}`);
    expect(feed.children("title").text()).toBe("Feed <test> & co");
    expect(feed.children("updated").length).toBe(1);
    expect(isRfc3339(feed.children("updated").text())).toBe(true);
    expect(feed.children("author").children("name").text()).toBe("megrez-edge");
    expect(feed.children('link[rel="self"]').attr("href")).toBe(job.feedUrl);

    const entries = feed.children("entry");
    expect(entries.length).toBe(3);
    const ids = new Set<string>();
    entries.each((_, el) => {
      const entry = $(el);
      for (const name of ["id", "title", "updated"]) expect(entry.children(name).length, name).toBe(1);
      ids.add(entry.children("id").text());
      expect(isRfc3339(entry.children("updated").text())).toBe(true);
      expect(entry.children('link[rel="alternate"]').attr("href")).toMatch(new RegExp(`/api/jobs/${job.id}/runs/run_[^/]+/digest\\.md\\?token=`));
      expect(entry.children("content").attr("type")).toBe("html");
    });
    expect(ids.size).toBe(3);
    const newest = entries.first();
    expect(newest.children("title").text()).toBe("Feed <test> & co: 2026-11-26");
    expect(
      newest
        .children('link[rel="related"]')
        .map((_, l) => $(l).attr("href"))
        .get(),
    ).toEqual(["https://a.example.com/26?x=1&y=2", "https://b.example.com/26"]);
    // The escaped HTML content links each [n] to its source.
    const html = load(newest.children("content").text());
    expect(html('a[href="https://a.example.com/26?x=1&y=2"]').first().text()).toBe("[1]");
    expect(html("strong").text()).toBe("isolates");
    expect(html("li").text()).toContain("cold starts shrink");

    // The entry link is readable with the token too.
    const link = newest.children('link[rel="alternate"]').attr("href")!;
    const entryMd = await api(new URL(link).pathname + new URL(link).search, { key: null });
    expect(await entryMd.text()).toBe(digestFor(26).markdown);
  });
});

function isRfc3339(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}
