/**
 * Where each of our tower/LLM weights lives in a Megrez-3B-Omni Hugging Face checkpoint, and how to lay it out.
 * Names are inferred from the public vLLM model file (`Infini-Megrez-Omni/vllm_demo/megrezo.py`): the LLM under
 * `llm.` (`llm.model.*`, `llm.lm_head.weight`), the SigLIP tower under `vision.vpm.`, the resampler under
 * `vision.resampler.` (nn.MultiheadAttention: q/k/v packed in `attn.in_proj_weight`/`in_proj_bias`), and the Whisper
 * encoder under `audio.audio.`. Unprefixed names are accepted too. Not verified against the real files (no hub
 * access here): a mismatch surfaces as a clear "missing tensor" error listing what was looked for.
 */

export type TensorSource = {
  /** Checkpoint tensor name. */
  name: string;
  /** Rows [start, end) of the checkpoint tensor's first axis (packed q/k/v), or null for all of it. */
  rows: [number, number] | null;
  /** HF Linear [out, in] → our x @ W [in, out]. */
  transpose: boolean;
};

const LINEAR = [
  /^model\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/,
  /^lm_head\.weight$/,
  /^vpm\.encoder\.layers\.\d+\.(self_attn\.(q|k|v|out)_proj|mlp\.fc[12])\.weight$/,
  /^resampler\.kv_proj\.weight$/,
  /^resampler\.attn\.(q|k|v|out)_proj\.weight$/,
  /^audio\.blocks\.\d+\.(attn\.(query|key|value|out)|mlp\.[02])\.weight$/,
  /^audio\.proj\.weight$/,
];

export function isLinearWeight(ourName: string): boolean {
  return LINEAR.some((pattern) => pattern.test(ourName));
}

function prefixed(ourName: string): string {
  if (ourName.startsWith("model.") || ourName === "lm_head.weight") return `llm.${ourName}`;
  if (ourName.startsWith("vpm.")) return `vision.${ourName}`;
  if (ourName.startsWith("resampler.")) return `vision.${ourName}`;
  if (ourName.startsWith("audio.")) return `audio.${ourName}`;
  return ourName;
}

/** Candidate locations of one of our weights, most likely first. `width` is the resampler width (hidden size). */
export function checkpointSources(ourName: string, width: number): TensorSource[] {
  const transpose = isLinearWeight(ourName);
  const packed = /^resampler\.attn\.([qkv])_proj\.(weight|bias)$/.exec(ourName);
  if (packed) {
    const index = "qkv".indexOf(packed[1]!);
    const rows: [number, number] = [index * width, (index + 1) * width];
    const packedName = `resampler.attn.in_proj_${packed[2]}`;
    return [prefixed(packedName), packedName].map((name) => ({ name, rows, transpose }));
  }
  return [prefixed(ourName), ourName].map((name) => ({ name, rows: null, transpose }));
}
