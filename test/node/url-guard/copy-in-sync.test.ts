// The engine's copy of the outbound-URL guard (container/url-guard/) is the same bytes as search/url-guard/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUARD_COPY, GUARD_SOURCE, guardFiles } from "../../../scripts/sync-url-guard";

describe("container/url-guard", () => {
  it("is a verbatim copy of search/url-guard (run `npx tsx scripts/sync-url-guard.ts` after changing the guard)", () => {
    expect(guardFiles(GUARD_COPY)).toEqual(guardFiles(GUARD_SOURCE));
    for (const name of guardFiles(GUARD_SOURCE)) {
      expect(readFileSync(join(GUARD_COPY, name), "utf8"), name).toBe(readFileSync(join(GUARD_SOURCE, name), "utf8"));
    }
  });
});
