/**
 * Execution-provider selection: auto picks cuda only when the ORT library's CUDA provider
 * libraries are installed (never on the CI machines), and an explicit cuda request without
 * them fails with an actionable message instead of a loader error.
 */
import { describe, expect, it } from "vitest";
import { cudaProviderInstalled, resolveExecutionProvider } from "../../../container/runtime/onnx-backend";

describe("resolveExecutionProvider", () => {
  it("resolves auto by the presence of the CUDA provider libraries", () => {
    expect(resolveExecutionProvider("auto")).toBe(cudaProviderInstalled() ? "cuda" : "cpu");
    expect(resolveExecutionProvider("cpu")).toBe("cpu");
    expect(resolveExecutionProvider("wasm")).toBe("wasm");
  });

  it.skipIf(cudaProviderInstalled())("refuses an explicit cuda request without the provider libraries", () => {
    expect(() => resolveExecutionProvider("cuda")).toThrow(/ENGINE_ORT_LIBRARY/);
  });
});
