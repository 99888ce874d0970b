/**
 * A customer's site for the browser tests: a node:http server on a fixed
 * loopback port serving fixed pages, so the widget can be embedded from
 * another origin than the worker's, as real sites embed it.
 */
import { createServer } from "node:http";

export interface StaticFile {
  type: string;
  body: string;
  headers?: Record<string, string>;
}

export interface StaticSite {
  origin: string;
  close(): Promise<void>;
}

export async function startStaticSite(input: { port: number; files: Record<string, StaticFile> }): Promise<StaticSite> {
  const server = createServer((request, response) => {
    const file = input.files[new URL(request.url ?? "/", "http://site").pathname];
    if (!file) {
      response.writeHead(404, { "content-type": "text/plain" });
      return response.end("not found");
    }
    response.writeHead(200, { ...file.headers, "content-type": file.type });
    response.end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(input.port, "127.0.0.1", resolve);
  });
  return {
    origin: `http://127.0.0.1:${input.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
