/**
 * Entry of the edge worker: exports the fetch and scheduled handlers and the
 * Durable Object classes. The app itself is assembled in workers/app.ts.
 */
import { createApp } from "./app";
import type { Env } from "./env";
import { handleScheduled } from "./scheduled";

export { ChatAdmission } from "./chat-admission";
export { RateLimiter } from "./rate-limiter";
export { ChatSession } from "./sessions/chat-session";
export { JobRegistry } from "./jobs/registry";
export { JobRunner } from "./jobs/runner";
// The engine as a Cloudflare Container; bound only in wrangler.toml's `containers` environment.
export { MegrezEngine } from "./engine-container";
export { SiteCrawler } from "./sites/crawler/site-crawler";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
