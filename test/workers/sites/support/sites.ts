/**
 * Helpers for the sites tests: the worker's app with two API keys, a fresh loopback test site per
 * test (support/test-site.ts), and waiting for a crawl to end (the crawler runs in its real alarm
 * loop inside workerd).
 */
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import { createApp } from "../../../../workers/app";
import type { LoggedRequest } from "./test-site";

export const KEY_A = "sites-test-key-alpha";
export const KEY_B = "sites-test-key-bravo";
export const ORIGIN = "https://edge.test";
const app = createApp();
const keyedEnv = { ...env, API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_KEY_PER_MINUTE: "0" };

export function api(path: string, init: RequestInit & { key?: string | null; json?: unknown; vars?: Record<string, string> } = {}): Promise<Response> {
  const { key = KEY_A, json, vars = {}, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`);
  const body = json !== undefined ? JSON.stringify(json) : rest.body;
  return Promise.resolve(app.request(`${ORIGIN}${path}`, { ...rest, headers, ...(body !== undefined ? { body } : {}) }, { ...keyedEnv, ...vars }));
}

export async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const body: unknown = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body as T;
}

export interface TestSite {
  origin: string;
  requests(): Promise<LoggedRequest[]>;
  change(path: string): Promise<void>;
  /** Every URL answers 503 from now on. */
  goDown(): Promise<void>;
}

export async function newTestSite(options: { crawlDelay?: number; slowMs?: number } = {}): Promise<TestSite> {
  const res = await fetch(`${inject("testSiteControl")}/sites`, { method: "POST", body: JSON.stringify(options) });
  const { origin } = (await res.json()) as { origin: string };
  return {
    origin,
    requests: async () => (await (await fetch(`${origin}/__log`)).json()) as LoggedRequest[],
    change: async (path) => {
      await (await fetch(`${origin}/__change?path=${encodeURIComponent(path)}`, { method: "POST" })).arrayBuffer();
    },
    goDown: async () => {
      await (await fetch(`${origin}/__down`, { method: "POST" })).arrayBuffer();
    },
  };
}

export const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export interface CrawlJson {
  id: string;
  status: string;
  reason: string | null;
  trigger: string;
  progress: Record<string, number>;
  skipped?: Record<string, number>;
  log?: Array<{ event: string; url: string | null; reason: string | null; detail: string | null }>;
}

export interface SiteJson {
  id: string;
  name: string;
  latestCrawl: CrawlJson | null;
  index?: { pages: number; passages: number };
}

/** Polls the crawl until it ends; returns it with its skip reasons and log. */
export async function waitForCrawl(siteId: string, crawlId: string, key = KEY_A, timeoutMs = 45_000): Promise<CrawlJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crawl = await json<CrawlJson>(await api(`/api/sites/${siteId}/crawls/${crawlId}?logLimit=1000`, { key }), 200);
    if (crawl.status !== "queued" && crawl.status !== "running") return crawl;
    if (Date.now() > deadline) throw new Error(`crawl ${crawlId} still ${crawl.status} after ${timeoutMs} ms: ${JSON.stringify(crawl.progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export async function createSite(spec: Record<string, unknown>, key = KEY_A): Promise<SiteJson> {
  return json<SiteJson>(await api("/api/sites", { method: "POST", json: spec, key }), 201);
}
