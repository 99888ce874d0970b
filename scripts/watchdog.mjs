#!/usr/bin/env node
/**
 * Runs one command of the local stack (the engine, `wrangler dev`) so that it ends with the process
 * that started it: `node scripts/watchdog.mjs <command> [args...]`, spawned as the leader of its own
 * process group. The command runs in that group, with our stdout/stderr. When the starter is gone
 * (Ctrl-C, a crash, even SIGKILL: scripts/parent-watch.mjs), or when we get SIGINT/SIGTERM, the whole
 * group (wrangler's workerd and esbuild included) gets SIGTERM, then SIGKILL after GRACE_MS. The
 * command's exit code becomes ours. Plain JavaScript, so it starts in milliseconds.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { watchParent } from "./parent-watch.mjs";

const GRACE_MS = Number(process.env.MEGREZ_WATCHDOG_GRACE_MS ?? 5000);
const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: node scripts/watchdog.mjs <command> [args...]\n");
  process.exit(2);
}

const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;

function killGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // Not a group leader (started without `detached`): signal the command alone.
    child.kill(signal);
  }
}

function stop(why) {
  if (stopping) return;
  stopping = true;
  if (why) process.stderr.write(`[watchdog] ${why}: stopping ${command}\n`);
  // The group signal reaches us too; the handlers below keep us alive until the command has gone.
  killGroup("SIGTERM");
  setTimeout(() => killGroup("SIGKILL"), GRACE_MS).unref();
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop());
watchParent((reason) => stop(reason));
child.on("error", (error) => {
  process.stderr.write(`[watchdog] cannot start ${command}: ${error.message}\n`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  // Whatever the command left in the group (workerd under wrangler) goes with it.
  if (!stopping) killGroup("SIGTERM");
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
