/**
 * Attaches ONNX Runtime's CUDA execution provider to session options, whichever way the loaded library offers it:
 * - a CUDA build of the core library: CreateCUDAProviderOptions + SessionOptionsAppendExecutionProvider_CUDA_V2;
 * - a CPU build of the core library with the CUDA provider beside it (the npm packages the Docker image uses,
 *   ORT ≥ 1.22): the provider registered once as a plug-in library (RegisterExecutionProviderLibrary), its
 *   device picked from GetEpDevices, then SessionOptionsAppendExecutionProvider_V2.
 * Written against onnxruntime_c_api.h of ORT 1.29; not yet run on a GPU (no GPU host was available).
 */
import { dirname, join } from "node:path";
import { EP_PLUGIN_API_VERSION } from "./ort-api-table";
import { type OrtLibrary, OrtLibraryError, OrtStatusError, type Pointer } from "./ort-library";

const CUDA_EP_NAME = "CUDAExecutionProvider";

/** Provider options: grow the device arena by what is asked (the KV pool is one large block), copy on the compute stream. */
const CUDA_OPTIONS: Readonly<Record<string, string>> = { arena_extend_strategy: "kSameAsRequested", do_copy_in_default_stream: "1" };

let registered = false;

function appendCudaV2(ort: OrtLibrary, sessionOptions: Pointer, deviceId: number): void {
  const cudaOptions = ort.out("CreateCUDAProviderOptions");
  try {
    const settings = { device_id: String(deviceId), ...CUDA_OPTIONS };
    const keys = Object.keys(settings);
    ort.check("UpdateCUDAProviderOptions", ort.api.UpdateCUDAProviderOptions(cudaOptions, keys, Object.values(settings), keys.length));
    ort.check("SessionOptionsAppendExecutionProvider_CUDA_V2", ort.api.SessionOptionsAppendExecutionProvider_CUDA_V2(sessionOptions, cudaOptions));
  } finally {
    ort.api.ReleaseCUDAProviderOptions(cudaOptions);
  }
}

function appendCudaPlugin(ort: OrtLibrary, sessionOptions: Pointer, deviceId: number): void {
  if (ort.apiVersion < EP_PLUGIN_API_VERSION)
    throw new OrtLibraryError(
      `ONNX Runtime ${ort.version} at ${ort.path} was built without CUDA and is too old (< 1.22) to load the CUDA provider as a plug-in`,
    );
  if (!registered) {
    const library = join(dirname(ort.path), "libonnxruntime_providers_cuda.so");
    ort.check("RegisterExecutionProviderLibrary", ort.api.RegisterExecutionProviderLibrary(ort.env, CUDA_EP_NAME, library));
    registered = true;
  }
  const devicesSlot: unknown[] = [null];
  const countSlot: unknown[] = [0];
  ort.check("GetEpDevices", ort.api.GetEpDevices(ort.env, devicesSlot, countSlot));
  const count = Number(countSlot[0]);
  const devices = count > 0 ? (ort.koffi.decode(devicesSlot[0], "void *", count) as Pointer[]) : [];
  const cuda = devices.filter((device) => String(ort.api.EpDevice_EpName(device)) === CUDA_EP_NAME);
  const device = cuda[deviceId];
  if (!device) throw new OrtLibraryError(`the CUDA provider found ${cuda.length} GPU(s); device ${deviceId} is not one of them`);
  const keys = Object.keys(CUDA_OPTIONS);
  ort.check(
    "SessionOptionsAppendExecutionProvider_V2",
    ort.api.SessionOptionsAppendExecutionProvider_V2(sessionOptions, ort.env, [device], 1, keys, Object.values(CUDA_OPTIONS), keys.length),
  );
}

export function appendCudaProvider(ort: OrtLibrary, sessionOptions: Pointer, deviceId: number): void {
  try {
    appendCudaV2(ort, sessionOptions, deviceId);
  } catch (error) {
    // A CPU-built core library answers the V2 options call with "CUDA execution provider is not enabled in this build".
    if (!(error instanceof OrtStatusError && /not enabled in this build/.test(error.message))) throw error;
    appendCudaPlugin(ort, sessionOptions, deviceId);
  }
}
