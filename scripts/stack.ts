/**
 * Starts the whole product on one machine: the Megrez engine (Node, CPU,
 * the bundled demo model) and the edge worker under `wrangler dev` (workerd)
 * wired to it. `npm start` and the end-to-end tests both use this, so what
 * the tests exercise is what a newcomer runs. The engine runs under its
 * supervisor (container/supervisor.ts), which restarts it after a crash; every
 * process runs under scripts/watchdog.mjs, so it ends with whoever started it.
 */
import { join } from "node:path";
import { isPortFree, startProcess, stopProcess, waitForUrl, type Managed } from "./processes";

export const WRANGLER_QUIET_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
};

export interface StackOptions {
  root: string;
  /** The model folder the engine serves (ignored when externalEngineUrl is set). */
  modelDir: string;
  /** Use an already running OpenAI-compatible server (e.g. vLLM serving Megrez) instead of starting the engine. */
  externalEngineUrl?: string;
  host?: string;
  enginePort: number;
  workerPort: number;
  inspectorPort: number;
  /** Where wrangler keeps local Durable Object / KV state. */
  persistDir: string;
  /** Extra worker variables (`--var NAME:VALUE`). */
  vars?: Record<string, string>;
  /** Extra engine environment. */
  engineEnv?: Record<string, string>;
  onLine?: (source: "engine" | "worker", line: string) => void;
  readyTimeoutMs?: number;
  /** Stops the start: nothing more is started once it is aborted (`npm start` on Ctrl-C). */
  signal?: AbortSignal;
  /** Told of each process as soon as it is started, so a caller can stop a stack that is still starting. */
  onStarted?: (managed: Managed) => void;
}

export interface Stack {
  engineUrl: string;
  workerUrl: string;
  processes: Managed[];
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly purpose: string,
    readonly variable: string,
  ) {
    super(`port ${port} (${purpose}) is already in use: stop whatever listens there or set ${variable} to another port`);
    this.name = "PortInUseError";
  }
}

export async function assertPortsFree(
  options: Pick<StackOptions, "enginePort" | "workerPort" | "inspectorPort" | "externalEngineUrl">,
  host: string,
): Promise<void> {
  const wanted: Array<[number, string, string]> = [
    ...(options.externalEngineUrl ? [] : [[options.enginePort, "engine", "ENGINE_PORT"] as [number, string, string]]),
    [options.workerPort, "edge worker", "PORT"],
    [options.inspectorPort, "wrangler inspector", "INSPECTOR_PORT"],
  ];
  for (const [port, purpose, variable] of wanted) {
    if (!(await isPortFree(port, host))) throw new PortInUseError(port, purpose, variable);
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? "127.0.0.1";
  const timeout = options.readyTimeoutMs ?? 120_000;
  await assertPortsFree(options, host);
  const engineUrl = options.externalEngineUrl ?? `http://${host}:${options.enginePort}`;
  const workerUrl = `http://${host}:${options.workerPort}`;
  const processes: Managed[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => stopProcess(p)));
  };
  const started = (managed: Managed) => {
    processes.push(managed);
    options.onStarted?.(managed);
  };
  try {
    if (!options.externalEngineUrl) await startEngine(options, host, engineUrl, started, timeout);
    options.signal?.throwIfAborted();

    const vars = { ENGINE_URL: engineUrl, PUBLIC_URL: workerUrl, ...options.vars };
    const worker = startProcess({
      name: "worker",
      command: process.execPath,
      args: [
        join(options.root, "node_modules", "wrangler", "bin", "wrangler.js"),
        "dev",
        "--ip",
        host,
        "--port",
        String(options.workerPort),
        "--inspector-port",
        String(options.inspectorPort),
        "--persist-to",
        options.persistDir,
        "--show-interactive-dev-session=false",
        ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ],
      cwd: options.root,
      env: WRANGLER_QUIET_ENV,
      onLine: (line) => options.onLine?.("worker", line),
    });
    started(worker);
    // The worker is up when /health answers at all: 503 means it is up and says the engine is not.
    await waitForUrl(`${workerUrl}/health`, worker, timeout, (status) => status === 200 || status === 503);
    return { engineUrl, workerUrl, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startEngine(options: StackOptions, host: string, engineUrl: string, started: (managed: Managed) => void, timeout: number) {
  options.signal?.throwIfAborted();
  const engine = startProcess({
    name: "engine",
    command: process.execPath,
    args: ["--import", "tsx", "container/supervisor.ts", "--model", options.modelDir, "--host", host, "--port", String(options.enginePort)],
    cwd: options.root,
    // The watchdog signals the whole group: the supervisor must not send the engine a second copy.
    env: { ...options.engineEnv, MEGREZ_SUPERVISOR_SIGNALS: "group" },
    onLine: (line) => options.onLine?.("engine", line),
  });
  started(engine);
  await waitForUrl(`${engineUrl}/health`, engine, timeout);
}
