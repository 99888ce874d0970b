import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../workers/config";
import { engineTransport } from "../../../workers/engine";
import { createFakeEngine } from "./support/fake-engine";

function config(vars: Record<string, string> = {}) {
  const result = parseConfig(vars);
  if (!result.ok) throw result.error;
  return result.value;
}

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("engine transport", () => {
  it("uses ENGINE_URL when no ENGINE binding exists", () => {
    const transport = engineTransport(undefined, config({ ENGINE_URL: "http://127.0.0.1:9999/v1" }));
    expect(transport).toMatchObject({ origin: "http://127.0.0.1:9999", via: "url" });
  });

  it("sends requests through a service binding when ENGINE is one", async () => {
    const engine = createFakeEngine();
    const transport = engineTransport(engine, config({ ENGINE_URL: "http://127.0.0.1:9999" }));
    expect(transport.via).toBe("binding");
    const res = await transport.fetch(`${transport.origin}/v1/completions`, post({ prompt: ["a"] }));
    expect(res.status).toBe(200);
    expect(engine.calls.map((c) => c.path)).toEqual(["/v1/completions"]);
  });

  it("sends requests to the one named instance when ENGINE is a Durable Object namespace (a Container class)", async () => {
    const engine = createFakeEngine();
    const names: string[] = [];
    const namespace = {
      idFromName: (name: string) => {
        names.push(name);
        return env.SESSIONS.idFromName(name);
      },
      get: () => engine,
    };
    const transport = engineTransport(namespace, config());
    expect(transport.via).toBe("binding");
    await transport.fetch(`${transport.origin}/v1/completions`, post({ prompt: [] }));
    await transport.fetch(`${transport.origin}/v1/completions`, post({ prompt: [] }));
    expect(names).toEqual(["engine"]);
    expect(engine.calls).toHaveLength(2);
  });
});
