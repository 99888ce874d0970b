/**
 * Test projects, one per runtime:
 * - node: pure core (agent/, search/) and the engine (container/) in Node.
 * - workers: the edge worker inside workerd via @cloudflare/vitest-pool-workers.
 * - e2e: real processes (engine server + `wrangler dev`) driven over HTTP.
 * - browser: the widget in Debian chromium via playwright-core.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default"],
    // The worker's per-request info lines (JSON, in the workers project) would drown the report; errors still show.
    onConsoleLog: (log, type) => !(type === "stdout" && log.startsWith('{"level":"info"')),
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./workers/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                WORKER_TEST: "1",
                // One JSON line per request would bury the test report; failures still print.
                LOG_LEVEL: "error",
                // Jobs: short retry delays so retries happen within a test.
                JOBS_RUN_RETRY_BASE_MS: "20",
                JOBS_WEBHOOK_RETRY_BASE_MS: "20",
                // Sites: the crawler may reach the loopback test sites (test/workers/sites/support/test-site.ts),
                // a page that never answers gives up quickly, and alarm steps are short.
                ALLOW_FETCH_HOSTS: "127.0.0.1",
                SITES_PAGE_TIMEOUT_MS: "1500",
                SITES_REQUEST_INTERVAL_MS: "0",
                SITES_STEP_MS: "3000",
              },
              // Jobs: webhooks go through the egress binding to a recording receiver.
              serviceBindings: { JOBS_EGRESS: "jobs-hooks" },
              workers: [
                {
                  name: "jobs-hooks",
                  modules: true,
                  scriptPath: "./test/workers/jobs/support/hooks-worker.js",
                  compatibilityDate: "2026-04-01",
                },
              ],
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 60_000,
          // The loopback sites the crawler tests crawl (Node servers on 127.0.0.1).
          globalSetup: ["./test/workers/sites/support/test-site.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
