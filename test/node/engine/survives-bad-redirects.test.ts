// The engine as a real process: an image URL whose host answers with a redirect to an unusable Location (which used to
// throw inside the socket callback and end the process) gets a 400, for each such Location, and the engine still serves
// text and media requests afterwards. The redirecting host is a loopback test server the engine is told to allow.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOmniDemoModel } from "../../../container/omni/write-omni-demo-model";

const BAD_LOCATIONS = ["http://[", "http://a b/", "http://127.0.0.1:99999/", "http://[::1", "https://exa mple.com/", "http://%zz/"];

let root: string;
let media: Server;
let mediaHost: string;
let engine: ChildProcess;
let engineUrl: string;
let output = "";

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "engine-redirects-"));
  writeOmniDemoModel({ outDir: join(root, "omni"), seed: 3 });
  media = createServer((request, response) => {
    const to = new URL(request.url ?? "/", "http://x").searchParams.get("to") ?? "/";
    response.writeHead(302, { location: to }).end();
  });
  await new Promise<void>((resolve) => media.listen(0, "127.0.0.1", resolve));
  mediaHost = `127.0.0.1:${(media.address() as AddressInfo).port}`;
  engine = spawn(process.execPath, ["--import", "tsx", "container/main.ts", "--model", join(root, "omni"), "--port", "0"], {
    cwd: process.cwd(),
    env: { ...process.env, ENGINE_EP: "cpu", ENGINE_FETCH_ALLOW_HOSTS: mediaHost },
    stdio: ["ignore", "pipe", "pipe"],
  });
  engine.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  engine.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/engine listening on (\S+) /.test(output)) {
    if (Date.now() > deadline || engine.exitCode !== null) throw new Error(`engine did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  engineUrl = /engine listening on (\S+) /.exec(output)?.[1] ?? "";
});

afterAll(async () => {
  engine?.kill("SIGKILL");
  await new Promise<void>((resolve) => media?.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

function chat(content: unknown): Promise<Response> {
  return fetch(`${engineUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "megrez", max_tokens: 2, messages: [{ role: "user", content }] }),
    signal: AbortSignal.timeout(20_000),
  });
}

describe("the engine process and unusable redirect Locations", () => {
  it.each(BAD_LOCATIONS)("answers an image URL redirecting to %j with a 400 and keeps running", async (location) => {
    const url = `http://${mediaHost}/image.png?to=${encodeURIComponent(location)}`;
    const response = await chat([
      { type: "text", text: "What is in the picture?" },
      { type: "image_url", image_url: { url } },
    ]);
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error?.message).toMatch(/Could not fetch/);
    expect(engine.exitCode).toBeNull();
  });

  it("still serves after all of them", async () => {
    expect((await fetch(`${engineUrl}/health`)).status).toBe(200);
    const response = await chat("Hello");
    expect(response.status).toBe(200);
    expect(engine.exitCode).toBeNull();
    expect(output).not.toMatch(/uncaught exception/);
  });
});
