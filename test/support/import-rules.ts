/**
 * The dependency-direction rules of the repository, as code: which module may
 * import what. `agent/` and `search/` are the platform-free core (they run in
 * workerd and in Node), `container/` is the Node-only engine and `workers/` is
 * the workerd-only edge. The engine image (container/Dockerfile) copies only
 * container/ and installs production dependencies, so container/ may import
 * nothing else. Inside container/, the engine core and the Omni towers never import each
 * other (the towers plug in as the engine's media embedder). Used by
 * test/node/dependency-direction.test.ts.
 */
import { builtinModules } from "node:module";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

type Area = "core" | "container" | "workers";

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const NODE_ONLY_PACKAGES = ["onnxruntime-node", "@hono/node-server", "tsx", "sharp", "koffi"];

/** The packages that reach ONNX Runtime: only container/runtime/ may import them. */
const ONNX_RUNTIME_PACKAGES = ["onnxruntime-node", "onnxruntime-web", "onnxruntime-common", "koffi"];

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']/g,
  /\bexport\s+(?:type\s+)?[\w*{}\s,$]+\s+from\s+["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
];

/** Every module specifier a source file imports (static, dynamic, re-export, require). */
export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) {
      if (match[1]) found.add(match[1]);
    }
  }
  return [...found];
}

/** The top-level folder a path lies in. */
function topFolder(root: string, path: string): string | undefined {
  return relative(root, path).split(sep)[0];
}

function areaOf(root: string, file: string): Area | undefined {
  const top = topFolder(root, file);
  if (top === "agent" || top === "search") return "core";
  if (top === "container") return "container";
  if (top === "workers") return "workers";
  return undefined;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || NODE_BUILTINS.has(specifier.split("/")[0] ?? specifier);
}

function isNodeOnlyPackage(specifier: string): boolean {
  return NODE_ONLY_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`));
}

/** The package a bare specifier names: `@scope/name` or `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]) ?? specifier;
}

function productionDependencies(root: string): ReadonlySet<string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  } catch {
    return new Set();
  }
  const dependencies = typeof manifest === "object" && manifest !== null && "dependencies" in manifest ? manifest.dependencies : undefined;
  return new Set(typeof dependencies === "object" && dependencies !== null ? Object.keys(dependencies) : []);
}

/** What the engine image holds: container/ files, Node built-ins and production dependencies. */
function checkImageContents(root: string, file: string, specifier: string, dependencies: ReadonlySet<string>): string | undefined {
  if (specifier.startsWith(".")) {
    const inside = relative(join(root, "container"), resolve(dirname(file), specifier));
    return inside.startsWith("..") ? "container/ must import only container/ files: the engine image copies nothing else" : undefined;
  }
  if (isBuiltin(specifier) || specifier.startsWith("cloudflare:")) return undefined;
  return dependencies.has(packageOf(specifier)) ? undefined : "container/ may import only production dependencies: the engine image installs with --omit=dev";
}

/** The folder under container/ a path lies in (engine, omni, ...), if any. */
function containerFolder(root: string, path: string): string | undefined {
  const parts = relative(root, path).split(sep);
  return parts[0] === "container" && parts.length > 2 ? parts[1] : undefined;
}

/** The engine core and the Omni media towers meet only through the MediaEmbedder interface that container/main.ts wires. */
function checkEngineMediaSplit(root: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const from = containerFolder(root, file);
  const to = containerFolder(root, resolve(dirname(file), specifier));
  if (from === "engine" && to === "omni")
    return "container/engine must not import container/omni: media encoders plug in as a MediaEmbedder (container/main.ts injects them)";
  if (from === "omni" && to === "engine") return "container/omni must not import container/engine: it meets the engine's MediaEmbedder interface by shape";
  return undefined;
}

/** Only container/runtime/ knows ONNX Runtime (its JS packages and the FFI the native layer uses). */
function checkRuntimeBoundary(root: string, file: string, specifier: string): string | undefined {
  if (!ONNX_RUNTIME_PACKAGES.includes(packageOf(specifier))) return undefined;
  return containerFolder(root, file) === "runtime" ? undefined : "only container/runtime/ may import ONNX Runtime (onnxruntime-*, koffi)";
}

function checkSpecifier(root: string, file: string, area: Area, specifier: string, dependencies: ReadonlySet<string>): string | undefined {
  const target = specifier.startsWith(".") ? areaOf(root, resolve(dirname(file), specifier)) : undefined;
  const targetTop = specifier.startsWith(".") ? topFolder(root, resolve(dirname(file), specifier)) : undefined;
  const cloudflare = specifier.startsWith("cloudflare:");
  if (area === "core") {
    if (isBuiltin(specifier)) return "agent/ and search/ must not import Node built-ins";
    if (cloudflare) return "agent/ and search/ must not import cloudflare:* modules";
    if (isNodeOnlyPackage(specifier)) return "agent/ and search/ must not import Node-only packages";
    if (target === "workers" || target === "container") return `agent/ and search/ must not import from ${target}/`;
    if (targetTop === "agent" && topFolder(root, file) === "search") return "search/ must not import from agent/: the agent uses search, never the reverse";
  }
  if (area === "container") {
    if (cloudflare) return "container/ is Node-only: no cloudflare:* modules";
    if (target === "workers") return "container/ must not import from workers/";
    return (
      checkRuntimeBoundary(root, file, specifier) ?? checkEngineMediaSplit(root, file, specifier) ?? checkImageContents(root, file, specifier, dependencies)
    );
  }
  if (area === "workers") {
    if (isBuiltin(specifier)) return "workers/ is workerd-only: no Node built-ins";
    if (isNodeOnlyPackage(specifier)) return "workers/ is workerd-only: no Node-only packages";
    if (target === "container") return "workers/ must not import from container/";
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(?:[cm]?[jt]sx?)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const LEAVES_REPOSITORY = "nothing may read outside the repository: a plain clone has nothing beside it";

/** Relative path literals in a source file: `"../x"` strings, and `"..", "x"` segment lists as join() takes them. */
export function pathLiterals(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(/["'`](\.\.?\/[^"'`\n]*)["'`]/g)) if (match[1]) found.add(match[1]);
  for (const match of source.matchAll(/((?:["']\.\.["']\s*,\s*)+)["']([^"'\n]*)["']/g)) {
    const ups = (match[1] ?? "").split(",").filter((part) => part.trim()).length;
    found.add(`${"../".repeat(ups)}${match[2] ?? ""}`);
  }
  return [...found];
}

function leavesRepository(root: string, file: string, path: string): boolean {
  const inside = relative(root, resolve(dirname(file), path));
  return inside === ".." || inside.startsWith(`..${sep}`);
}

/** Any path in a source file that resolves outside root, or names the steering folder beside it. */
function checkPaths(root: string, file: string, source: string): Violation[] {
  const paths = new Set([...importSpecifiers(source).filter((s) => s.startsWith(".")), ...pathLiterals(source)]);
  const violations = [...paths]
    .filter((path) => leavesRepository(root, file, path))
    .map((specifier) => ({ file: relative(root, file), specifier, rule: LEAVES_REPOSITORY }));
  const named = /["'`][^"'`\n]*\.\.\/shared\b[^"'`\n]*["'`]/.exec(source);
  if (named && violations.length === 0) violations.push({ file: relative(root, file), specifier: named[0].slice(1, -1), rule: LEAVES_REPOSITORY });
  return violations;
}

const IMPORT_STYLE = "relative imports name the module without a suffix (./x, not ./x.js): one style across the repository";

/** A relative import of a TypeScript module spelled with a `.js` suffix. */
function checkImportStyle(root: string, file: string, source: string): Violation[] {
  return importSpecifiers(source)
    .filter((specifier) => specifier.startsWith(".") && /\.[cm]?js$/.test(specifier))
    .filter((specifier) => {
      const base = resolve(dirname(file), specifier).replace(/\.[cm]?js$/, "");
      return [".ts", ".tsx", ".mts"].some((ext) => exists(`${base}${ext}`));
    })
    .map((specifier) => ({ file: relative(root, file), specifier, rule: IMPORT_STYLE }));
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Source folders checked for paths that leave the repository. */
const PATH_CHECKED = ["agent", "search", "container", "workers", "test", "bench", "scripts"];

/**
 * Checks every source file under root's agent/, search/, container/ and workers/
 * for the direction rules, and every source file of the repository's code
 * folders (tests, benches and scripts too) for paths that leave it.
 */
export function findViolations(root: string): Violation[] {
  const dependencies = productionDependencies(root);
  const files = [...new Set(PATH_CHECKED.flatMap((d) => sourceFiles(join(root, d))))];
  return files.flatMap((file) => {
    const source = readFileSync(file, "utf8");
    const area = areaOf(root, file);
    const direction = area
      ? importSpecifiers(source).flatMap((specifier) => {
          const rule = checkSpecifier(root, file, area, specifier, dependencies);
          return rule ? [{ file: relative(root, file), specifier, rule }] : [];
        })
      : [];
    const style = /\.[cm]?tsx?$/.test(file) ? checkImportStyle(root, file, source) : [];
    return [...direction, ...checkPaths(root, file, source), ...style];
  });
}
