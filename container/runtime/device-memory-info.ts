/**
 * Free and total memory where a session computes, for the KV pool's budget: GPU memory from the CUDA runtime
 * (cudaMemGetInfo in libcudart, which ONNX Runtime's CUDA provider has already loaded into the process), host
 * memory from /proc/meminfo's MemAvailable (os.freemem elsewhere).
 */
import { readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";

type Koffi = typeof import("koffi");

/** CUDA runtime sonames, newest first (the CUDA 13 build of ORT 1.29 links libcudart.so.13). */
const CUDART_NAMES = ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];

// biome-ignore lint/suspicious/noExplicitAny: a koffi function
let cudart: { setDevice: (device: number) => number; memGetInfo: (...args: any[]) => number; handle: unknown } | null | undefined;

function loadCudart(koffi: Koffi): typeof cudart {
  if (cudart !== undefined) return cudart;
  cudart = null;
  for (const name of CUDART_NAMES) {
    try {
      const handle = koffi.load(name);
      cudart = {
        handle,
        setDevice: handle.func("int cudaSetDevice(int device)"),
        memGetInfo: handle.func("int cudaMemGetInfo(_Out_ size_t *free, _Out_ size_t *total)"),
      };
      break;
    } catch {
      // try the next name
    }
  }
  return cudart;
}

export function cudaMemoryInfo(koffi: Koffi, deviceId: number): { free: number; total: number } | null {
  const runtime = loadCudart(koffi);
  if (!runtime) return null;
  if (runtime.setDevice(deviceId) !== 0) return null;
  const free: unknown[] = [0];
  const total: unknown[] = [0];
  if (runtime.memGetInfo(free, total) !== 0) return null;
  return { free: Number(free[0]), total: Number(total[0]) };
}

export function hostMemoryInfo(): { free: number; total: number } {
  try {
    const available = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (available?.[1]) return { free: Number(available[1]) * 1024, total: totalmem() };
  } catch {
    // not Linux
  }
  return { free: freemem(), total: totalmem() };
}
