/**
 * The part of ONNX Runtime's C function table (`OrtApi`, onnxruntime_c_api.h) that the native layer calls:
 * each entry's position in the table and its C signature, written in koffi's prototype syntax.
 *
 * `OrtApi` is a struct of function pointers that only ever grows at its end, so a position never changes
 * between releases. The positions below were counted in the header of ONNX Runtime 1.29 (ORT_API_VERSION 29,
 * the CUDA build this engine loads on GPUs) and hold for 1.30 (onnxruntime-node's CPU library). The newest
 * entries up to index 208 date from API version 11 (ORT 1.11) or earlier; asking the library for
 * MIN_ORT_API_VERSION makes an older library refuse at load. Entries from 301 on (EP plug-in libraries, API 22)
 * are bound only for a library whose version says its table has them.
 */

/** API version requested from OrtGetApiBase()->GetApi (ORT 1.17: the oldest release the engine supports). */
export const MIN_ORT_API_VERSION = 17;

/** Entries of API version 22 (ORT 1.22) and later: bound only when the library is at least that new. */
export const EP_PLUGIN_API_VERSION = 22;

const STATUS = "void *";

/** name → [index in OrtApi, koffi prototype]. Every `void *` return is an OrtStatus* (null = success) unless noted. */
export const ORT_API_ENTRIES = {
  GetErrorCode: [1, "int GetErrorCode(void *status)"],
  GetErrorMessage: [2, "const char *GetErrorMessage(void *status)"],
  CreateEnv: [3, `${STATUS} CreateEnv(int level, const char *logid, _Out_ void **out)`],
  CreateSession: [7, `${STATUS} CreateSession(void *env, const char *path, void *options, _Out_ void **out)`],
  CreateSessionFromArray: [8, `${STATUS} CreateSessionFromArray(void *env, uintptr_t data, size_t length, void *options, _Out_ void **out)`],
  Run: [
    9,
    `${STATUS} Run(void *session, void *runOptions, const char **inputNames, void **inputs, size_t inputCount, const char **outputNames, size_t outputCount, _Inout_ void **outputs)`,
  ],
  CreateSessionOptions: [10, `${STATUS} CreateSessionOptions(_Out_ void **out)`],
  SetSessionGraphOptimizationLevel: [23, `${STATUS} SetSessionGraphOptimizationLevel(void *options, int level)`],
  SetIntraOpNumThreads: [24, `${STATUS} SetIntraOpNumThreads(void *options, int threads)`],
  SessionGetInputCount: [30, `${STATUS} SessionGetInputCount(void *session, _Out_ size_t *out)`],
  SessionGetOutputCount: [31, `${STATUS} SessionGetOutputCount(void *session, _Out_ size_t *out)`],
  SessionGetInputTypeInfo: [33, `${STATUS} SessionGetInputTypeInfo(void *session, size_t index, _Out_ void **out)`],
  SessionGetOutputTypeInfo: [34, `${STATUS} SessionGetOutputTypeInfo(void *session, size_t index, _Out_ void **out)`],
  SessionGetInputName: [36, `${STATUS} SessionGetInputName(void *session, size_t index, void *allocator, _Out_ void **out)`],
  SessionGetOutputName: [37, `${STATUS} SessionGetOutputName(void *session, size_t index, void *allocator, _Out_ void **out)`],
  CreateRunOptions: [39, `${STATUS} CreateRunOptions(_Out_ void **out)`],
  CreateTensorWithDataAsOrtValue: [
    49,
    `${STATUS} CreateTensorWithDataAsOrtValue(void *memoryInfo, uintptr_t data, size_t byteLength, const int64_t *shape, size_t rank, int type, _Out_ void **out)`,
  ],
  GetTensorMutableData: [51, `${STATUS} GetTensorMutableData(void *value, _Out_ void **out)`],
  CastTypeInfoToTensorInfo: [55, `${STATUS} CastTypeInfoToTensorInfo(void *typeInfo, _Out_ void **out)`],
  GetOnnxTypeFromTypeInfo: [56, `${STATUS} GetOnnxTypeFromTypeInfo(void *typeInfo, _Out_ int *out)`],
  GetTensorElementType: [60, `${STATUS} GetTensorElementType(void *info, _Out_ int *out)`],
  GetDimensionsCount: [61, `${STATUS} GetDimensionsCount(void *info, _Out_ size_t *out)`],
  GetDimensions: [62, `${STATUS} GetDimensions(void *info, _Out_ int64_t *dims, size_t length)`],
  GetSymbolicDimensions: [63, `${STATUS} GetSymbolicDimensions(void *info, _Out_ uint64_t *names, size_t length)`],
  GetTensorTypeAndShape: [65, `${STATUS} GetTensorTypeAndShape(void *value, _Out_ void **out)`],
  CreateMemoryInfo: [68, `${STATUS} CreateMemoryInfo(const char *name, int allocatorType, int deviceId, int memType, _Out_ void **out)`],
  CreateCpuMemoryInfo: [69, `${STATUS} CreateCpuMemoryInfo(int allocatorType, int memType, _Out_ void **out)`],
  AllocatorAlloc: [75, `${STATUS} AllocatorAlloc(void *allocator, size_t size, _Out_ void **out)`],
  AllocatorFree: [76, `${STATUS} AllocatorFree(void *allocator, uintptr_t pointer)`],
  GetAllocatorWithDefaultOptions: [78, `${STATUS} GetAllocatorWithDefaultOptions(_Out_ void **out)`],
  ReleaseEnv: [92, "void ReleaseEnv(void *env)"],
  ReleaseStatus: [93, "void ReleaseStatus(void *status)"],
  ReleaseMemoryInfo: [94, "void ReleaseMemoryInfo(void *info)"],
  ReleaseSession: [95, "void ReleaseSession(void *session)"],
  ReleaseValue: [96, "void ReleaseValue(void *value)"],
  ReleaseRunOptions: [97, "void ReleaseRunOptions(void *options)"],
  ReleaseTypeInfo: [98, "void ReleaseTypeInfo(void *info)"],
  ReleaseTensorTypeAndShapeInfo: [99, "void ReleaseTensorTypeAndShapeInfo(void *info)"],
  ReleaseSessionOptions: [100, "void ReleaseSessionOptions(void *options)"],
  AddSessionConfigEntry: [130, `${STATUS} AddSessionConfigEntry(void *options, const char *key, const char *value)`],
  CreateAllocator: [131, `${STATUS} CreateAllocator(void *session, void *memoryInfo, _Out_ void **out)`],
  ReleaseAllocator: [132, "void ReleaseAllocator(void *allocator)"],
  RunWithBinding: [133, `${STATUS} RunWithBinding(void *session, void *runOptions, void *binding)`],
  CreateIoBinding: [134, `${STATUS} CreateIoBinding(void *session, _Out_ void **out)`],
  ReleaseIoBinding: [135, "void ReleaseIoBinding(void *binding)"],
  BindInput: [136, `${STATUS} BindInput(void *binding, const char *name, void *value)`],
  BindOutput: [137, `${STATUS} BindOutput(void *binding, const char *name, void *value)`],
  ClearBoundInputs: [141, "void ClearBoundInputs(void *binding)"],
  ClearBoundOutputs: [142, "void ClearBoundOutputs(void *binding)"],
  AddRunConfigEntry: [165, `${STATUS} AddRunConfigEntry(void *options, const char *key, const char *value)`],
  SessionOptionsAppendExecutionProvider_CUDA_V2: [204, `${STATUS} SessionOptionsAppendExecutionProvider_CUDA_V2(void *options, void *cudaOptions)`],
  CreateCUDAProviderOptions: [205, `${STATUS} CreateCUDAProviderOptions(_Out_ void **out)`],
  UpdateCUDAProviderOptions: [206, `${STATUS} UpdateCUDAProviderOptions(void *cudaOptions, const char **keys, const char **values, size_t count)`],
  ReleaseCUDAProviderOptions: [208, "void ReleaseCUDAProviderOptions(void *cudaOptions)"],
  // Since API 22: execution providers as plug-in libraries (how a CPU-built core library loads the CUDA provider).
  RegisterExecutionProviderLibrary: [301, `${STATUS} RegisterExecutionProviderLibrary(void *env, const char *name, const char *path)`],
  GetEpDevices: [303, `${STATUS} GetEpDevices(void *env, _Out_ void **devices, _Out_ size_t *count)`],
  SessionOptionsAppendExecutionProvider_V2: [
    304,
    `${STATUS} SessionOptionsAppendExecutionProvider_V2(void *options, void *env, void **devices, size_t deviceCount, const char **keys, const char **values, size_t optionCount)`,
  ],
  EpDevice_EpName: [312, "const char *EpDevice_EpName(void *device)"],
} as const;

export type OrtApiName = keyof typeof ORT_API_ENTRIES;

/** ONNXTensorElementDataType values. */
export const ONNX_ELEMENT_TYPE = { float32: 1, int32: 6, int64: 7, float16: 10 } as const;

/** GraphOptimizationLevel.ORT_ENABLE_ALL / ORT_DISABLE_ALL. */
export const ORT_ENABLE_ALL = 99;
export const ORT_DISABLE_ALL = 0;
/** OrtAllocatorType / OrtMemType / ONNXType values used here. */
export const ORT_DEVICE_ALLOCATOR = 0;
export const ORT_ARENA_ALLOCATOR = 1;
export const ORT_MEM_TYPE_DEFAULT = 0;
export const ONNX_TYPE_TENSOR = 1;
/** OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR. */
export const ORT_LOGGING_LEVEL_ERROR = 3;
