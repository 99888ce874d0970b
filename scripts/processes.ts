/**
 * Child-process plumbing shared by `npm start` and the end-to-end tests:
 * start a command in its own process group under scripts/watchdog.mjs, wait
 * until a URL answers, check that a port is free, and stop whole groups
 * (wrangler leaves workerd children behind when only its own pid is killed).
 *
 * The watchdog is what makes every child end with its starter: it polls its
 * parent (this process) and, once that is gone (Ctrl-C, a crash, SIGKILL),
 * takes its whole group down. Stopping signals the watchdog, which signals
 * the group once (a second copy would cut a draining engine short); the group
 * gets SIGKILL after the grace period in any case.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const WATCHDOG = join(import.meta.dirname, "watchdog.mjs");

export interface Managed {
  name: string;
  child: ChildProcess;
  /** Last lines of output, for error messages. */
  tail(): string;
  exited: Promise<number | null>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Receives every output line (e.g. to prefix and print it). */
  onLine?: (line: string) => void;
}

export function startProcess(options: StartOptions): Managed {
  const child = spawn(process.execPath, [WATCHDOG, options.command, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
      options.onLine?.(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { name: options.name, child, tail: () => lines.join("\n"), exited };
}

/** Stops the whole process group: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(managed: Managed, graceMs = 5000): Promise<void> {
  const pid = managed.child.pid;
  if (pid === undefined || managed.child.exitCode !== null || managed.child.signalCode !== null) {
    killGroup(pid, "SIGKILL");
    return;
  }
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Already gone.
  }
  const timedOut = await Promise.race([managed.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
  killGroup(pid, "SIGKILL");
  if (timedOut) await managed.exited;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Resolves when GET url answers with a status `ready` accepts (default 2xx); rejects when the process
 * exits or the time is up.
 */
export async function waitForUrl(
  url: string,
  managed: Managed,
  timeoutMs: number,
  ready: (status: number) => boolean = (status) => status < 300,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void managed.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${managed.name} exited before it was ready:\n${managed.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status >= 200 && ready(res.status)) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${managed.name} did not answer ${url} within ${timeoutMs} ms:\n${managed.tail()}`);
}

/** True when nothing listens on host:port. */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
