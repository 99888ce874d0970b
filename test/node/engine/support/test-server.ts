/**
 * Starts the real engine HTTP app on a free loopback port (port 0) for tests.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Engine } from "../../../../container/engine/create-engine";
import { createServerApp } from "../../../../container/server/create-server-app";

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startTestServer(engine: Engine, modelName = "megrez"): Promise<TestServer> {
  const app = createServerApp({ engine, modelName, log: () => {} });
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
