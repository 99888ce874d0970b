/**
 * Keeps the engine running: `node --import tsx container/supervisor.ts [engine args...]` starts
 * container/main.ts with the same arguments and, when an engine that had been serving exits on its own
 * (a crash, an out-of-memory kill), starts it again after a pause that doubles from 1 s up to 30 s. An
 * engine that exits before it ever served (a bad model folder, a taken port) is not restarted: its exit
 * code is ours. More than MAX_RESTARTS restarts within RESTART_WINDOW_MS is a crash loop: it gives up.
 * SIGINT/SIGTERM end the supervisor with the engine: it forwards them to the engine (the Docker case:
 * `docker stop` signals PID 1 only), unless MEGREZ_SUPERVISOR_SIGNALS=group says the signal reaches the
 * engine by its process group already (`npm start`, scripts/watchdog.mjs), where a second copy would cut
 * the engine's own shutdown short; either way it waits for the engine to exit. SIGTERM therefore drains the
 * engine (its answers in flight finish, new ones get 503; a second SIGTERM stops it at once) and an engine
 * that exits after a drain is never restarted: Kubernetes' preStop `kill -TERM 1` and `docker stop` work
 * through it unchanged. The engine's output passes through; our own lines start with `[supervisor]`.
 *
 * It is the Docker image's command and what `npm start` runs, so both restart a crashed engine. An error
 * inside one request never needs it: the engine logs that and keeps serving (container/last-resort.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { join } from "node:path";

export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 5 * 60_000;
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;
const READY_LINE = /engine listening on /;

const engineArgs = process.argv.slice(2);
const entry = join(import.meta.dirname, "main.ts");
let child: ChildProcess | undefined;
let stopping = false;
let restarts: number[] = [];

function say(line: string): void {
  process.stderr.write(`[supervisor] ${line}\n`);
}

function start(): void {
  let served = false;
  const engine = spawn(process.execPath, [...process.execArgv, entry, ...engineArgs], { stdio: ["ignore", "pipe", "inherit"] });
  child = engine;
  say(`engine started (pid ${engine.pid})`);
  engine.stdout?.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (!served && READY_LINE.test(chunk.toString("utf8"))) served = true;
  });
  engine.on("exit", (code, signal) => {
    child = undefined;
    const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
    if (stopping) process.exit(code ?? 0);
    if (!served) {
      say(`engine exited before it served (${signal ?? `code ${code}`}); not restarting`);
      process.exit(status || 1);
    }
    const now = Date.now();
    restarts = [...restarts.filter((at) => at > now - RESTART_WINDOW_MS), now];
    if (restarts.length > MAX_RESTARTS) {
      say(`engine crashed ${restarts.length} times within ${RESTART_WINDOW_MS / 60_000} minutes; giving up`);
      process.exit(status || 1);
    }
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (restarts.length - 1));
    say(`engine exited unexpectedly (${signal ?? `code ${code}`}); restarting in ${pause / 1000} s (restart ${restarts.length} of at most ${MAX_RESTARTS})`);
    setTimeout(() => {
      if (!stopping) start();
    }, pause);
  });
}

const signalsReachEngine = process.env.MEGREZ_SUPERVISOR_SIGNALS === "group";

// Every signal is passed on, a second one too: the engine's SIGTERM drains (container/server/drain.ts)
// and a second SIGTERM stops it at once, as when it runs alone.
function stop(signal: NodeJS.Signals): void {
  stopping = true;
  if (!child) process.exit(0);
  if (!signalsReachEngine) child.kill(signal);
}

process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
start();
