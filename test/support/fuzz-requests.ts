/**
 * Bad requests for the route fuzz tests (worker: test/workers/api/fuzz-routes.test.ts, engine:
 * test/node/engine/fuzz-api.test.ts). From one valid request per route it derives, deterministically:
 * bodies that are not JSON (truncated, invalid UTF-8, a BOM, empty, bare values), every field replaced
 * by each hostile value (wrong types, out-of-range and non-finite-like numbers, lone surrogates, huge
 * strings, deep nesting), fields removed or added, the whole body nested deeply, and hostile path
 * parameters, query strings and headers. Every such request is a client mistake: it must get a 4xx (or
 * be served, 2xx); a 5xx is our bug. Platform-free (it also runs inside workerd).
 */

export interface FuzzRoute {
  method: string;
  /** Path template; `:name` parameters are replaced by `params` values, then fuzzed. */
  path: string;
  params?: Record<string, string>;
  /** A valid JSON body for the route, the start of every body mutation. */
  body?: Record<string, unknown>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface FuzzCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

const LONE_HIGH = "\uD800";
const LONE_LOW = "\uDFFF";

function nested(depth: number, open: string, close: string, inner = "0"): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Values put in place of a field (as JSON text, so deep nesting stays cheap to build). */
export const HOSTILE_VALUES: readonly (readonly [string, string])[] = [
  ["null", "null"],
  ["true", "true"],
  ["zero", "0"],
  ["negative", "-1"],
  ["fraction", "0.5"],
  ["huge number", "1e308"],
  ["overflowing number", "1e400"],
  ["negative huge", "-1e308"],
  ["past 2^53", "9007199254740993"],
  ["empty string", '""'],
  ["lone high surrogate", JSON.stringify(LONE_HIGH)],
  ["lone low surrogate in text", JSON.stringify(`a${LONE_LOW}b${LONE_HIGH}`)],
  ["escaped lone surrogate", '"\\ud83d x \\udc00"'],
  ["NUL and controls", JSON.stringify("a\u0000b\u0007c\u001b[0m")],
  ["placeholder characters", JSON.stringify("\uE0000\uE001")],
  ["huge string", JSON.stringify("x".repeat(300_000))],
  ["huge array", `[${new Array(20_000).fill("0").join(",")}]`],
  ["empty array", "[]"],
  ["empty object", "{}"],
  ["deep array", nested(5_000, "[", "]")],
  ["deep object", nested(5_000, '{"a":', "}")],
  ["proto key", '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'],
];

/** Whole bodies that are not a JSON object the route can read. */
function brokenBodies(valid: string): [string, string | Uint8Array<ArrayBuffer>][] {
  return [
    ["empty body", ""],
    ["truncated JSON", valid.slice(0, Math.max(1, Math.floor(valid.length / 2)))],
    ["trailing garbage", `${valid}}`],
    ["single quotes", valid.replaceAll('"', "'")],
    ["JSON null", "null"],
    ["JSON array", "[]"],
    ["JSON number", "42"],
    ["JSON string", '"hello"'],
    ["NaN", "NaN"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ["UTF-8 BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(valid)])],
    ["UTF-16 body", new Uint8Array([...valid].flatMap((character) => [character.charCodeAt(0) & 0xff, 0]))],
    ["deeply nested body", nested(100_000, "[", "]")],
    ["deeply nested object body", nested(50_000, '{"a":', "}")],
    ["duplicate keys", valid.replace("{", '{"messages":1,')],
  ];
}

/** The valid body as JSON text with the value at `path` replaced by raw JSON text `value` (or removed). */
function replaceAt(body: Record<string, unknown>, path: readonly string[], value: string | undefined): string {
  const marker = "__fuzz_value_here__";
  const copy = structuredClone(body) as Record<string, unknown>;
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = path[path.length - 1] ?? "";
  if (value === undefined) delete target[last];
  else target[last] = marker;
  const text = JSON.stringify(copy);
  return value === undefined ? text : text.replace(JSON.stringify(marker), value);
}

/** Paths to every field of the body, one level into objects and into the first element of arrays. */
function fieldPaths(body: Record<string, unknown>): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(body)) {
    paths.push([key]);
    const inner = Array.isArray(value) ? value[0] : value;
    const prefix = Array.isArray(value) ? [key, "0"] : [key];
    if (inner && typeof inner === "object" && !Array.isArray(inner)) {
      if (Array.isArray(value)) paths.push(prefix);
      for (const innerKey of Object.keys(inner)) paths.push([...prefix, innerKey]);
    }
  }
  return paths;
}

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? "x"));
}

const HOSTILE_PARAMS = ["", "..", "%2e%2e%2f%2e%2e", "a".repeat(5_000), "%00", "%ED%A0%80", "%FF%FE", "💥", "null", "-1", "1e999", "__proto__"];
const HOSTILE_QUERY = ["-1", "0", "1e999", "abc", "9007199254740993", "%ED%A0%80", "a".repeat(5_000), "[]"];

/** Every fuzz case of one route (a fixed set: no randomness, so a failure reproduces). */
export function fuzzCases(route: FuzzRoute): FuzzCase[] {
  const headers = { "content-type": "application/json", ...route.headers };
  const params = route.params ?? {};
  const query = route.query ? `?${new URLSearchParams(route.query)}` : "";
  const path = `${fill(route.path, params)}${query}`;
  const cases: FuzzCase[] = [];
  const add = (name: string, init: Partial<FuzzCase>) =>
    cases.push({ name: `${route.method} ${route.path}: ${name}`, method: route.method, path, headers, ...init });

  if (route.body) {
    const valid = JSON.stringify(route.body);
    for (const [name, body] of brokenBodies(valid)) add(name, { body });
    for (const fieldPath of fieldPaths(route.body)) {
      const at = fieldPath.join(".");
      add(`without ${at}`, { body: replaceAt(route.body, fieldPath, undefined) });
      for (const [name, value] of HOSTILE_VALUES) add(`${at} = ${name}`, { body: replaceAt(route.body, fieldPath, value) });
    }
    add("unknown field", { body: JSON.stringify({ ...route.body, unexpected_field: { deep: [1, 2, 3] } }) });
    add("wrong content-type", { body: valid, headers: { ...headers, "content-type": "text/plain" } });
    add("no content-type", { body: valid, headers: Object.fromEntries(Object.entries(headers).filter(([name]) => name !== "content-type")) });
  } else if (route.method !== "GET" && route.method !== "HEAD" && route.method !== "DELETE") {
    add("unexpected body", { body: "{not json" });
  }
  for (const name of Object.keys(params)) {
    for (const value of HOSTILE_PARAMS) {
      const raw = route.path.replace(/:(\w+)/g, (_, other: string) => (other === name ? value : encodeURIComponent(params[other] ?? "x")));
      add(`:${name} = ${JSON.stringify(value.slice(0, 20))}`, { path: `${raw}${query}`, body: route.body ? JSON.stringify(route.body) : undefined });
    }
  }
  for (const key of Object.keys(route.query ?? {})) {
    for (const value of HOSTILE_QUERY) {
      add(`?${key}=${value.slice(0, 20)}`, { path: `${fill(route.path, params)}?${key}=${value}` });
    }
  }
  add("hostile headers", {
    headers: { ...headers, "last-event-id": "9".repeat(400), "x-request-id": "../../etc/passwd", accept: "*/*;q=abc" },
    ...(route.body ? { body: JSON.stringify(route.body) } : {}),
  });
  return cases;
}

/** A 5xx for a client's mistake is our bug; anything under 500 is a fine answer to a fuzz case. */
export function isServerFault(status: number): boolean {
  return status >= 500;
}
