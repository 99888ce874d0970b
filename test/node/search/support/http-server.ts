// A real node:http server on 127.0.0.1 (port 0) with per-path handlers, for fetcher tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface TestServer {
  origin: string;
  host: string;
  hits: Map<string, number>;
  /** Highest number of simultaneous requests seen on `path`. */
  maxConcurrent: (path: string) => number;
  close: () => Promise<void>;
}

export async function startServer(routes: Record<string, Handler>): Promise<TestServer> {
  const hits = new Map<string, number>();
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const now = (active.get(path) ?? 0) + 1;
    active.set(path, now);
    peak.set(path, Math.max(peak.get(path) ?? 0, now));
    response.on("close", () => active.set(path, (active.get(path) ?? 1) - 1));
    const handler = routes[path];
    if (!handler) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  const host = `127.0.0.1:${address.port}`;
  return {
    origin: `http://${host}`,
    host,
    hits,
    maxConcurrent: (path) => peak.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
