/**
 * `engine.json`, written beside config.json by the converter and the model generators: which decoder graph
 * `onnx/model.onnx` is, so the engine picks the matching runner. Absent means the standard graph (every folder
 * written before the fast graph existed). "fast" is the contrib-op graph of build-fast-decoder.ts, computing in
 * `compute_dtype` (its weights and KV cache are stored in it too).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const GRAPH_METADATA_FILE = "engine.json";

export const graphMetadataSchema = z.strictObject({
  graph: z.enum(["standard", "fast"]),
  compute_dtype: z.enum(["float32", "float16"]).optional(),
});

export type GraphMetadata = z.infer<typeof graphMetadataSchema>;

export function writeGraphMetadata(dir: string, metadata: GraphMetadata): void {
  writeFileSync(join(dir, GRAPH_METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}
