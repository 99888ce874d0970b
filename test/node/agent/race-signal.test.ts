import { describe, expect, it } from "vitest";
import { raceSignal } from "../../../agent/race-signal";

describe("raceSignal", () => {
  it("settles with the promise when it comes first", async () => {
    await expect(raceSignal(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });

  it("rejects with the abort reason when the signal comes first", async () => {
    const controller = new AbortController();
    const pending = raceSignal(new Promise<number>(() => undefined), controller.signal);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });

  it("leaves no unhandled rejection when the signal was already aborted and the promise fails later", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const controller = new AbortController();
      controller.abort(new Error("gone"));
      let fail!: (error: Error) => void;
      const late = new Promise<never>((_, reject) => (fail = reject));
      await expect(raceSignal(late, controller.signal)).rejects.toThrow("gone");
      fail(new Error("network connection lost"));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
