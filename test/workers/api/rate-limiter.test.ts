import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../workers/rate-limiter";

describe("TokenBucket", () => {
  it("allows `limit` requests at once, then asks to wait for one refill", () => {
    const bucket = new TokenBucket(3, 0);
    expect([1, 2, 3].map(() => bucket.take(3, 0).allowed)).toEqual([true, true, true]);
    expect(bucket.take(3, 0)).toEqual({ allowed: false, retryAfterSeconds: 20, remaining: 0 });
    expect(bucket.take(3, 19_000).allowed).toBe(false);
    expect(bucket.take(3, 20_000).allowed).toBe(true);
  });

  it("adopts a lowered limit without granting extra requests", () => {
    const bucket = new TokenBucket(10, 0);
    expect(bucket.take(2, 0)).toMatchObject({ allowed: true, remaining: 1 });
    expect(bucket.take(2, 0).allowed).toBe(true);
    expect(bucket.take(2, 0)).toMatchObject({ allowed: false, retryAfterSeconds: 30 });
  });
});
