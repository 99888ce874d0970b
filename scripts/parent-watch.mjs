/**
 * Tells a process when the process that started it is gone, however it went (Ctrl-C, a crash, SIGKILL):
 * Node has no prctl(PR_SET_PDEATHSIG), so every launcher in the `npm start` chain polls its parent (and,
 * when npm ran it through a shell, the shell's parent, npm itself: killing npm leaves the shell alive).
 * Used by scripts/start.mjs, scripts/serve.ts and scripts/watchdog.mjs, so every child of the stack
 * ends with its parent. Plain JavaScript: it runs before any dependency exists.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh", "fish"]);

/** Name and parent of a process, from /proc (Linux) or ps (macOS); undefined when unknown. */
function describeProcess(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return { name, ppid };
  } catch {
    try {
      const [ppid, ...command] = execFileSync("ps", ["-o", "ppid=,comm=", "-p", String(pid)], { encoding: "utf8" })
        .trim()
        .split(/\s+/);
      return { name: (command.join(" ").split("/").pop() ?? "").trim(), ppid: Number(ppid) };
    } catch {
      return undefined;
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * Calls `onGone(reason)` once, when the parent (or the shell's parent, see above) has exited.
 * The timer does not keep the process alive. Returns a function that stops watching.
 */
export function watchParent(onGone, { intervalMs = 250 } = {}) {
  const parent = process.ppid;
  const watched = [parent];
  const info = describeProcess(parent);
  if (info && SHELLS.has(info.name) && info.ppid > 1) watched.push(info.ppid);
  let done = false;
  const timer = setInterval(() => {
    if (done) return;
    const gone = process.ppid !== parent ? parent : watched.find((pid) => !alive(pid));
    if (gone === undefined) return;
    done = true;
    clearInterval(timer);
    onGone(`process ${gone} that started this one has exited`);
  }, intervalMs);
  timer.unref();
  return () => {
    done = true;
    clearInterval(timer);
  };
}
