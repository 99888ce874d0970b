// The engine supervisor (the Docker image's command, and what `npm start` runs) as real processes: an engine that had
// been serving and is killed is started again and serves again; an engine that fails before serving is not restarted;
// SIGTERM ends the supervisor with its engine.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { makeTestModel } from "./support/test-engine";

const model = makeTestModel(4);
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
  model.cleanup();
});

function supervise(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "container/supervisor.ts", ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ENGINE_EP: "cpu" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const listening = (output: string) => [...output.matchAll(/engine listening on (\S+) /g)].map((match) => match[1] ?? "");
const enginePids = (output: string) => [...output.matchAll(/engine started \(pid (\d+)\)/g)].map((match) => Number(match[1]));

describe("container/supervisor.ts", () => {
  it("restarts an engine that crashed after serving, and stops with it on SIGTERM", async () => {
    const run = supervise(["--model", model.dir, "--port", "0"]);
    await waitFor(() => listening(run.output()).length === 1, 60_000, "the engine", run.output);
    const [firstUrl] = listening(run.output());
    expect((await fetch(`${firstUrl}/health`)).status).toBe(200);
    const [firstPid] = enginePids(run.output());
    process.kill(firstPid ?? 0, "SIGKILL");
    await waitFor(() => listening(run.output()).length === 2, 60_000, "the restarted engine", run.output);
    expect(run.output()).toMatch(/engine exited unexpectedly \(SIGKILL\); restarting in 1 s \(restart 1 of at most 5\)/);
    const secondUrl = listening(run.output())[1];
    expect((await fetch(`${secondUrl}/health`)).status).toBe(200);
    const secondPid = enginePids(run.output())[1] ?? 0;
    expect(secondPid).not.toBe(firstPid);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(() => process.kill(secondPid, 0)).toThrow();
  });

  it("does not restart an engine that exits before it ever served", async () => {
    const run = supervise(["--model", `${model.dir}-missing`, "--port", "0"]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/engine exited before it served \(code 1\); not restarting/);
    expect(enginePids(run.output())).toHaveLength(1);
  });
});
