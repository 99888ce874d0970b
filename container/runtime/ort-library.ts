/**
 * Loads an ONNX Runtime shared library through koffi (FFI with prebuilt binaries: nothing is compiled on the
 * user's machine) and exposes its C API table as typed JS functions, plus the process-wide OrtEnv, the CPU
 * memory info and the default CPU allocator. One library per process; a missing, foreign or too old file is
 * one `OrtLibraryError` naming the file and what is wrong with it.
 */
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  EP_PLUGIN_API_VERSION,
  MIN_ORT_API_VERSION,
  ORT_API_ENTRIES,
  ORT_ARENA_ALLOCATOR,
  ORT_LOGGING_LEVEL_ERROR,
  ORT_MEM_TYPE_DEFAULT,
  type OrtApiName,
} from "./ort-api-table";

// biome-ignore lint/suspicious/noExplicitAny: koffi functions take and return untyped C values
type CFunction = ((...args: any[]) => any) & { async: (...args: any[]) => void };
type Koffi = typeof import("koffi");

/** A C pointer as koffi 3 represents it (null for NULL). */
export type Pointer = bigint;

export class OrtLibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrtLibraryError";
  }
}

/** An ONNX Runtime call that returned a non-null OrtStatus. */
export class OrtStatusError extends Error {
  constructor(
    readonly call: string,
    readonly ortCode: number,
    message: string,
  ) {
    super(`${call}: ${message}`);
    this.name = "OrtStatusError";
  }
}

export type OrtApi = Record<OrtApiName, CFunction>;

export interface OrtLibrary {
  readonly path: string;
  readonly version: string;
  /** The C API version the library implements (its minor version). */
  readonly apiVersion: number;
  readonly koffi: Koffi;
  readonly api: OrtApi;
  /** The process's OrtEnv (ORT keeps one per process). */
  readonly env: Pointer;
  readonly cpuMemoryInfo: Pointer;
  /** ORT's default CPU allocator: frees the strings ORT hands out, allocates pinned-nowhere host memory. */
  readonly cpuAllocator: Pointer;
  /** Throws OrtStatusError (and releases the status) when `status` is not null. */
  check(call: string, status: Pointer | null): void;
  /** Calls `name` with a trailing out-parameter and returns what ORT wrote there. */
  out<T = Pointer>(name: OrtApiName, ...args: unknown[]): T;
}

/** The CPU library that ships inside onnxruntime-node (the default when ENGINE_ORT_LIBRARY is unset). */
export function bundledOrtLibraryPath(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(require.resolve("onnxruntime-node")));
  const file = process.platform === "darwin" ? "libonnxruntime.1.dylib" : process.platform === "win32" ? "onnxruntime.dll" : "libonnxruntime.so.1";
  return join(packageDir, "bin", "napi-v6", process.platform, process.arch, file);
}

function loadKoffi(): Koffi {
  try {
    const require = createRequire(import.meta.url);
    return require("koffi") as Koffi;
  } catch (error) {
    throw new OrtLibraryError(
      `the koffi package (the FFI the native ONNX Runtime layer uses) cannot be loaded: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}; run npm ci`,
    );
  }
}

/**
 * The library handle stays referenced for the life of the process: koffi unloads (dlclose) a library whose
 * handle is garbage-collected, which would leave every function pointer taken from it dangling.
 */
const libraryHandles: unknown[] = [];

function openLibrary(koffi: Koffi, path: string): { getApiBase: CFunction } {
  if (!existsSync(path)) throw new OrtLibraryError(`ONNX Runtime library ${path} does not exist (ENGINE_ORT_LIBRARY)`);
  if (!statSync(path).isFile()) throw new OrtLibraryError(`ONNX Runtime library ${path} is not a file (ENGINE_ORT_LIBRARY)`);
  let library: ReturnType<Koffi["load"]>;
  try {
    library = koffi.load(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new OrtLibraryError(`${path} cannot be loaded as a shared library (${reason}); ENGINE_ORT_LIBRARY must name libonnxruntime.so`);
  }
  libraryHandles.push(library);
  try {
    return { getApiBase: library.func("void *OrtGetApiBase()") };
  } catch {
    throw new OrtLibraryError(`${path} is not an ONNX Runtime library (it has no OrtGetApiBase symbol); ENGINE_ORT_LIBRARY must name libonnxruntime.so`);
  }
}

/** Binds every entry the library's table has: those of API 22+ only when `apiVersion` reaches it (else they throw). */
function bindTable(koffi: Koffi, apiPointer: Pointer, apiVersion: number): OrtApi {
  const newest = apiVersion >= EP_PLUGIN_API_VERSION;
  const entries = Object.entries(ORT_API_ENTRIES) as [OrtApiName, readonly [number, string]][];
  const length = Math.max(...entries.filter(([, [index]]) => newest || index < 300).map(([, [index]]) => index)) + 1;
  const table = koffi.decode(apiPointer, "void *", length) as (Pointer | null)[];
  const api = {} as OrtApi;
  for (const [name, [index, prototype]] of entries) {
    const pointer = index < length ? table[index] : null;
    if (!pointer) {
      api[name] = Object.assign(
        () => {
          throw new OrtLibraryError(`${name} needs ONNX Runtime 1.${EP_PLUGIN_API_VERSION} or newer`);
        },
        { async: () => undefined },
      );
      continue;
    }
    api[name] = koffi.decode(pointer, koffi.proto(prototype)) as CFunction;
  }
  return api;
}

let loaded: OrtLibrary | null = null;

/**
 * Loads (once per process) the ONNX Runtime library at `path` (default: onnxruntime-node's own).
 *
 * @example
 *   const ort = loadOrtLibrary(process.env.ENGINE_ORT_LIBRARY);
 *   ort.version; // "1.30.0"
 */
export function loadOrtLibrary(path: string = bundledOrtLibraryPath()): OrtLibrary {
  if (loaded) {
    if (loaded.path !== path) throw new OrtLibraryError(`ONNX Runtime is already loaded from ${loaded.path}; one process cannot also load ${path}`);
    return loaded;
  }
  const koffi = loadKoffi();
  const { getApiBase } = openLibrary(koffi, path);
  const base = getApiBase() as Pointer | null;
  if (!base) throw new OrtLibraryError(`${path}: OrtGetApiBase() returned NULL`);
  const [getApiPointer, versionPointer] = koffi.decode(base, "void *", 2) as Pointer[];
  const version = String(koffi.decode(versionPointer, koffi.proto("const char *GetVersionString()"))());
  const apiPointer = koffi.decode(getApiPointer, koffi.proto("void *GetApi(uint32_t version)"))(MIN_ORT_API_VERSION) as Pointer | null;
  if (!apiPointer) throw new OrtLibraryError(`${path} is ONNX Runtime ${version}, too old: the engine needs 1.${MIN_ORT_API_VERSION} or newer`);
  // ORT_API_VERSION is the minor version of a 1.x release: it says how long the table is.
  const apiVersion = Number(/^1\.(\d+)\./.exec(version)?.[1] ?? MIN_ORT_API_VERSION);
  const api = bindTable(koffi, apiPointer, apiVersion);
  const check = (call: string, status: Pointer | null): void => {
    if (!status) return;
    const message = String(api.GetErrorMessage(status));
    const code = Number(api.GetErrorCode(status));
    api.ReleaseStatus(status);
    throw new OrtStatusError(call, code, message);
  };
  const out = <T = Pointer>(name: OrtApiName, ...args: unknown[]): T => {
    const slot: unknown[] = [null];
    check(name, api[name](...args, slot));
    return slot[0] as T;
  };
  const env = out("CreateEnv", ORT_LOGGING_LEVEL_ERROR, "megrez-engine");
  const cpuMemoryInfo = out("CreateCpuMemoryInfo", ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT);
  const cpuAllocator = out("GetAllocatorWithDefaultOptions");
  loaded = { path, version, apiVersion, koffi, api, env, cpuMemoryInfo, cpuAllocator, check, out };
  return loaded;
}

/** The library loaded in this process, if any. */
export function loadedOrtLibrary(): OrtLibrary | null {
  return loaded;
}
