/**
 * The entry point as a real process, started the way `npm start` and the e2e tests start it:
 * one ready line naming URL, model and EP; a clear non-zero exit when the port is taken or the
 * model folder is missing or ENGINE_ORT_LIBRARY names no usable ONNX Runtime; clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTestModel } from "./support/test-engine";

const model = makeTestModel(2);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  model.cleanup();
});

function startEngine(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", "container/main.ts", ...args], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("container/main.ts", () => {
  it("prints the ready line, refuses a taken port, and exits cleanly on SIGTERM", async () => {
    const first = startEngine(["--model", model.dir, "--port", "0"]);
    await waitFor(() => /engine listening on/.test(first.output()), 30_000);
    const match = /engine listening on http:\/\/127\.0\.0\.1:(\d+) \(model megrez, ep cpu\)/.exec(first.output());
    expect(match).not.toBeNull();
    const port = match?.[1] ?? "0";
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health.ok).toBe(true);

    const second = startEngine(["--model", model.dir, "--port", port]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  });

  it("exits non-zero naming a missing model folder", async () => {
    const run = startEngine(["--model", `${model.dir}-missing`, "--port", "0"]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/model folder .*-missing does not exist/);
  });

  it("exits with one clear line when ENGINE_ORT_LIBRARY is missing, not a library, or not ONNX Runtime", async () => {
    const notElf = join(model.dir, "config.json");
    const notOrt = createRequire(import.meta.url).resolve("@koromix/koffi-linux-x64/linux_x64/koffi.node");
    const cases: [string, RegExp][] = [
      [join(model.dir, "libonnxruntime.so.1"), /^engine: ONNX Runtime library .*libonnxruntime\.so\.1 does not exist \(ENGINE_ORT_LIBRARY\)$/],
      [notElf, /^engine: .*config\.json cannot be loaded as a shared library \(.*\); ENGINE_ORT_LIBRARY must name libonnxruntime\.so$/],
      [notOrt, /^engine: .*koffi\.node is not an ONNX Runtime library \(it has no OrtGetApiBase symbol\); ENGINE_ORT_LIBRARY must name libonnxruntime\.so$/],
    ];
    for (const [library, message] of cases) {
      const run = startEngine(["--model", model.dir, "--port", "0"], { ENGINE_ORT_LIBRARY: library });
      expect(await run.exited).toBe(1);
      expect(run.output().trim().split("\n")).toEqual([expect.stringMatching(message)]);
    }
  });
});
