// The engine's last-resort handler in a real Node process: an exception thrown from a request's socket-style callback
// and a rejected promise nobody awaited are logged with that request's id, and the process keeps running.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const SCRIPT = `
const { installLastResortHandlers } = await import("./container/last-resort.ts");
const { runInRequestScope } = await import("./container/server/request-scope.ts");
installLastResortHandlers({ log: (line) => console.log(line) });
runInRequestScope({ requestId: "req-42", method: "POST", path: "/v1/chat/completions" }, () => {
  setTimeout(() => { throw new Error("Invalid URL from a redirect"); }, 5);
  void Promise.reject(new Error("forgotten promise"));
});
setTimeout(() => console.log("still running"), 100);
`;

describe("installLastResortHandlers", () => {
  it("logs escaped errors with the request id and keeps the process running", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], {
      cwd: process.cwd(),
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /engine: uncaught exception in request req-42 \(POST \/v1\/chat\/completions\), still serving: Error: Invalid URL from a redirect/,
    );
    expect(run.stdout).toMatch(/engine: unhandled rejection in request req-42 .*forgotten promise/);
    expect(run.stdout).toMatch(/still running/);
  });
});
