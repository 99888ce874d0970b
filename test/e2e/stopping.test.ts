// `npm start` as a user runs it, stopped the ways a user stops it: Ctrl-C (SIGINT to the terminal's process group) at
// 1 s, 5 s and 15 s after starting (building, starting the engine, starting the worker), and SIGKILL to the npm process
// once the stack is up. Each time, no process of the stack may be left (found by a marker in their environment) and the
// three ports must be free, so the next `npm start` can run. On the way, an engine killed under `npm start` is restarted.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build";
import { freePort, isPortFree } from "../../scripts/processes";

const MARKER = "MEGREZ_STOP_TEST";

/** Processes whose environment carries this run's marker: everything `npm start` started, at any depth. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function processesOf(runId: string): number[] {
  const wanted = `${MARKER}=${runId}`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(wanted)) found.push(Number(entry));
    } catch {
      // Gone, or not ours.
    }
  }
  return found;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

interface Launched {
  npm: ChildProcess;
  runId: string;
  ports: number[];
  output: () => string;
  exited: Promise<void>;
}

async function launch(): Promise<Launched> {
  const runId = randomUUID();
  const ports = [await freePort(), await freePort(), await freePort()];
  const [PORT, ENGINE_PORT, INSPECTOR_PORT] = ports.map(String);
  // detached: its own process group, as a terminal gives a job; Ctrl-C signals that whole group.
  const npm = spawn("npm", ["start"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, [MARKER]: runId, PORT, ENGINE_PORT, INSPECTOR_PORT, NO_COLOR: "1" },
  });
  let output = "";
  npm.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => npm.on("exit", () => resolve()));
  return { npm, runId, ports, output: () => output, exited };
}

async function expectNothingLeft(run: Launched): Promise<void> {
  const clean = await until(() => processesOf(run.runId).length === 0, 30_000);
  const left = processesOf(run.runId).map((pid) => `${pid} ${commandOf(pid).slice(0, 120)}`);
  for (const pid of processesOf(run.runId)) process.kill(pid, "SIGKILL");
  expect(clean, `processes left:\n${left.join("\n")}\n--- output ---\n${run.output().slice(-3000)}`).toBe(true);
  for (const port of run.ports) expect(await isPortFree(port), `port ${port}`).toBe(true);
}

describe("stopping npm start", () => {
  it.each([1, 5, 15])("Ctrl-C %i s after starting leaves no process and frees the ports", async (seconds) => {
    const run = await launch();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    process.kill(-(run.npm.pid ?? 0), "SIGINT");
    await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    await expectNothingLeft(run);
  });

  it("restarts an engine killed under it; SIGKILL to the npm process leaves no process and frees the ports", async () => {
    const run = await launch();
    const up = await until(() => run.output().includes("megrez-edge is running"), 150_000);
    expect(up, run.output().slice(-3000)).toBe(true);
    expect(processesOf(run.runId).length).toBeGreaterThan(3);
    const engine = processesOf(run.runId).find((pid) => commandOf(pid).includes("container/main.ts"));
    expect(engine).toBeDefined();
    process.kill(engine ?? 0, "SIGKILL");
    const engineUrl = `http://127.0.0.1:${run.ports[1]}/health`;
    const back = await until(async () => {
      if (!/restarting in 1 s/.test(run.output())) return false;
      return (await fetch(engineUrl).catch(() => undefined))?.status === 200;
    }, 60_000);
    expect(back, run.output().slice(-3000)).toBe(true);
    expect(run.output()).not.toMatch(/exited unexpectedly \(code/);
    run.npm.kill("SIGKILL");
    await expectNothingLeft(run);
  });
});
