/**
 * The model folder loader names what is missing or wrong, all at once, and the engine's
 * configuration parses env with CLI flags taking precedence.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseEngineConfig } from "../../../container/engine-config";
import { loadModelFolder } from "../../../container/engine/model-folder";
import { writeDemoModel } from "../../../container/demo/write-demo-model";

const root = mkdtempSync(join(tmpdir(), "model-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("loadModelFolder", () => {
  it("loads a demo folder", () => {
    writeDemoModel({ outDir: join(root, "ok") });
    const folder = loadModelFolder(join(root, "ok"));
    expect(folder.dims.numLayers).toBe(2);
    expect(folder.eosTokenIds).toHaveLength(1);
    expect(folder.isDemo).toBe(true);
  });

  it("names every missing piece", () => {
    const dir = join(root, "broken");
    writeDemoModel({ outDir: dir });
    unlinkSync(join(dir, "tokenizer.json"));
    unlinkSync(join(dir, "onnx", "model.onnx"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "llama", vocab_size: 10 }));
    let message = "";
    try {
      loadModelFolder(dir);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toContain("tokenizer.json is missing");
    expect(message).toContain("onnx/model.onnx is missing");
    expect(message).toContain("hidden_size");
  });

  it("says how to create a folder that does not exist", () => {
    expect(() => loadModelFolder(join(root, "nope"))).toThrow(/does not exist.*generate-demo-model/);
  });
});

describe("parseEngineConfig", () => {
  it("uses defaults, env, then CLI flags", () => {
    expect(parseEngineConfig({}, [])).toMatchObject({
      ENGINE_MODEL_DIR: ".cache/models/megrez-demo",
      ENGINE_HOST: "127.0.0.1",
      ENGINE_PORT: 8080,
      ENGINE_EP: "auto",
      ENGINE_MODEL_NAME: "megrez",
    });
    const config = parseEngineConfig({ ENGINE_PORT: "9000", ENGINE_EP: "cpu", ENGINE_MAX_BATCH: "4" }, [
      "--port",
      "9100",
      "--model",
      "/m",
      "--host",
      "0.0.0.0",
    ]);
    expect(config).toMatchObject({ ENGINE_PORT: 9100, ENGINE_MODEL_DIR: "/m", ENGINE_HOST: "0.0.0.0", ENGINE_EP: "cpu", ENGINE_MAX_BATCH: 4 });
    expect(() => parseEngineConfig({ ENGINE_EP: "tpu" }, [])).toThrow();
  });
});
