import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findViolations, importSpecifiers } from "../support/import-rules";

const repoRoot = join(import.meta.dirname, "..", "..");
/** The folder beside a checkout, spelled so that this file itself names no path out of the repository. */
const BESIDE = ["..", "shared"].join("/");

describe("dependency direction", () => {
  it("holds for the repository", () => {
    expect(findViolations(repoRoot)).toEqual([]);
  });

  describe("catches a broken rule", () => {
    const root = mkdtempSync(join(tmpdir(), "deps-"));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(
      join(root, "package.json"),
      JSON.stringify({
        dependencies: { zod: "1", "onnxruntime-node": "1", "@hono/node-server": "1", koffi: "1" },
        devDependencies: { vitest: "1", "@huggingface/transformers": "1" },
      }),
    );
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };

    it.each([
      ["agent/a.ts", 'import { readFileSync } from "node:fs";', "node:fs"],
      ["agent/b.ts", 'import fs from "fs";', "fs"],
      ["search/c.ts", 'import { env } from "cloudflare:workers";', "cloudflare:workers"],
      ["search/d.ts", 'export { x } from "../workers/x";', "../workers/x"],
      ["search/providers/o.ts", 'import type { ChatEvent } from "../../agent/events";', "../../agent/events"],
      ["agent/e.ts", 'const m = await import("../container/engine");', "../container/engine"],
      ["agent/f.ts", 'import * as ort from "onnxruntime-node";', "onnxruntime-node"],
      ["workers/g.ts", 'import { spawn } from "node:child_process";', "node:child_process"],
      ["workers/h.ts", 'import { run } from "../container/main";', "../container/main"],
      ["container/i.ts", 'import { DurableObject } from "cloudflare:workers";', "cloudflare:workers"],
      ["container/j.ts", 'import { app } from "../workers/app";', "../workers/app"],
      ["container/k.ts", 'import { runAgent } from "../agent/run-agent";', "../agent/run-agent"],
      ["container/l.ts", 'import { build } from "../scripts/build";', "../scripts/build"],
      ["container/m.ts", 'import { describe } from "vitest";', "vitest"],
      ["container/n.ts", 'import { AutoModel } from "@huggingface/transformers/x";', "@huggingface/transformers/x"],
      ["container/engine/o.ts", 'import { OmniSupport } from "../omni/omni-support";', "../omni/omni-support"],
      ["container/engine/sub/p.ts", 'import type { OmniPrompt } from "../../omni/omni-prompt";', "../../omni/omni-prompt"],
      ["container/omni/q.ts", 'import { EngineError } from "../engine/engine-errors";', "../engine/engine-errors"],
      ["container/engine/r.ts", 'import koffi from "koffi";', "koffi"],
      ["container/omni/s.ts", 'import * as ort from "onnxruntime-node";', "onnxruntime-node"],
    ])("%s importing %s", (file, source, specifier) => {
      for (const dir of ["agent", "search", "workers", "container"]) rmSync(join(root, dir), { recursive: true, force: true });
      write(file, `${source}\nexport const ok = 1;\n`);
      const violations = findViolations(root);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ file, specifier });
    });

    it.each([
      // Spelled with repeat() so that this file itself holds no path out of the repository.
      [
        "test/node/a.test.ts",
        `const f = new URL("${"../".repeat(3)}shared/fixtures/omni/x.jpg", import.meta.url);`,
        `${"../".repeat(3)}shared/fixtures/omni/x.jpg`,
      ],
      ["bench/b.ts", 'const dir = join(import.meta.dirname, "..", "..", "shared", "fixtures");', `${"../".repeat(2)}shared`],
      ["scripts/c.ts", 'import data from "../../outside/data.js";', "../../outside/data.js"],
      ["test/d.test.ts", `const text = readFileSync(\`\${root}/${BESIDE}/reference/x.md\`, "utf8");`, `\${root}/${BESIDE}/reference/x.md`],
    ])("%s reading outside the repository (%s)", (file, source, specifier) => {
      for (const dir of ["agent", "search", "workers", "container", "test", "bench", "scripts"]) rmSync(join(root, dir), { recursive: true, force: true });
      write(file, `${source}\nexport const ok = 1;\n`);
      const violations = findViolations(root);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ file, specifier, rule: expect.stringContaining("outside the repository") });
    });

    it("catches a relative import of a TypeScript module with a .js suffix", () => {
      for (const dir of ["agent", "search", "workers", "container", "test", "bench", "scripts"]) rmSync(join(root, dir), { recursive: true, force: true });
      write("search/types.ts", "export type T = 1;\n");
      write("search/uses.ts", 'import type { T } from "./types.js";\nimport "./plain.js";\n');
      write("search/plain.js", "export {};\n");
      expect(findViolations(root)).toEqual([
        expect.objectContaining({ file: "search/uses.ts", specifier: "./types.js", rule: expect.stringContaining("without a suffix") }),
      ]);
    });

    it("allows what the rules allow", () => {
      for (const dir of ["agent", "search", "workers", "container", "test", "bench", "scripts"]) rmSync(join(root, dir), { recursive: true, force: true });
      write("agent/ok.ts", 'import { z } from "zod";\nimport type { SearchResult } from "../search/types";\n');
      write("workers/ok.ts", 'import { runAgent } from "../agent/run-agent";\nimport { DurableObject } from "cloudflare:workers";\n');
      write("container/ok.ts", 'import { createServer } from "node:http";\nimport { serve } from "@hono/node-server/x";\nimport { z } from "zod";\n');
      write("container/runtime/ok.ts", 'import * as ort from "onnxruntime-node";\nimport koffi from "koffi";\n');
      write("container/sub/ok.ts", 'import { ok } from "../ok";\nimport "./local";\n');
      write("container/main.ts", 'import { createEngine } from "./engine/create-engine";\nimport { loadOmniEmbedder } from "./omni/omni-support";\n');
      write("container/server/ok.ts", 'import { isOmniInputError } from "../omni/omni-input-error";\nimport { EngineError } from "../engine/engine-errors";\n');
      write(
        "test/node/ok.test.ts",
        'const f = new URL("../fixtures/omni/x.jpg", import.meta.url);\nconst g = join(import.meta.dirname, "..", "..", "docs");\n',
      );
      expect(findViolations(root)).toEqual([]);
    });
  });

  it("reads every import form", () => {
    const source = [
      'import a from "a";',
      'import type { B } from "b";',
      'import "c";',
      'export * from "d";',
      'export { e } from "e";',
      'await import("f");',
      'require("g");',
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(["a", "b", "c", "d", "e", "f", "g"]);
  });
});
