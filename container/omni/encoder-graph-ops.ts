/**
 * Transformer pieces shared by the vision and audio encoder graphs (standard opset-17 ops only, so they run on every
 * ORT build): biased Linear, LayerNormalization, exact (erf) and tanh GELU, multi-head attention with an additive
 * key bias, and the 2-D sin-cos position embedding of the resampler.
 */
import type { GraphBuilder } from "../onnx/graph-builder";

/** Returns the graph value for a weight (registering its initializer on first use). */
export type WeightLookup = (name: string) => string;

export function linear(g: GraphBuilder, x: string, weight: string, bias: string | null): string {
  const product = g.op("MatMul", [x, weight]);
  return bias === null ? product : g.op("Add", [product, bias]);
}

export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, eps: number): string {
  return g.op("LayerNormalization", [x, weight, bias], { attributes: { axis: -1, epsilon: { float: eps } } });
}

/** GELU with erf (PyTorch nn.GELU(), Whisper). */
export function geluErf(g: GraphBuilder, x: string): string {
  const erf = g.op("Erf", [g.op("Mul", [x, g.constFloat32([Math.SQRT1_2], [])])]);
  return g.op("Mul", [g.op("Mul", [x, g.constFloat32([0.5], [])]), g.op("Add", [erf, g.constFloat32([1], [])])]);
}

/** GELU with the tanh approximation (gelu_pytorch_tanh, SigLIP). */
export function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.constFloat32([0.044715], [])])]), g.constFloat32([Math.sqrt(2 / Math.PI)], [])]);
  return g.op("Mul", [g.op("Mul", [x, g.constFloat32([0.5], [])]), g.op("Add", [g.op("Tanh", [inner]), g.constFloat32([1], [])])]);
}

/** [B, L, heads·d] → [B, heads, L, d] */
function splitHeads(g: GraphBuilder, x: string, heads: number): string {
  const reshaped = g.op("Reshape", [x, g.constInt64([0, 0, heads, -1])]);
  return g.op("Transpose", [reshaped], { attributes: { perm: [0, 2, 1, 3] } });
}

export type AttentionProjections = { query: string; key: string; value: string };

/**
 * softmax(q·kᵀ/√d + bias)·v over projected inputs; `bias` broadcasts to [B, heads, Lq, Lk] (null: no mask).
 * Returns [B, Lq, heads·d] before the output projection.
 */
export function attention(g: GraphBuilder, projections: AttentionProjections, heads: number, headDim: number, bias: string | null): string {
  const q = splitHeads(g, projections.query, heads);
  const k = splitHeads(g, projections.key, heads);
  const v = splitHeads(g, projections.value, heads);
  const keyT = g.op("Transpose", [k], { attributes: { perm: [0, 1, 3, 2] } });
  let scores = g.op("Mul", [g.op("MatMul", [q, keyT]), g.constFloat32([1 / Math.sqrt(headDim)], [])]);
  if (bias !== null) scores = g.op("Add", [scores, bias]);
  const probabilities = g.op("Softmax", [scores], { attributes: { axis: -1 } });
  const context = g.op("Transpose", [g.op("MatMul", [probabilities, v])], { attributes: { perm: [0, 2, 1, 3] } });
  return g.op("Reshape", [context, g.constInt64([0, 0, -1])]);
}

const MASK_MIN = -3.4028234663852886e38;

/** int64 [B, L] mask (1 = real) → additive float bias [B, 1, 1, L]. */
export function keyPaddingBias(g: GraphBuilder, mask: string): string {
  const allowed = g.op("Unsqueeze", [g.op("Cast", [mask], { attributes: { to: 9 } }), g.constInt64([1, 2])]);
  return g.op("Where", [allowed, g.constFloat32([0], []), g.constFloat32([MASK_MIN], [])]);
}

/**
 * The resampler's 2-D sin-cos embedding for (column, row) pairs [B, L, 2] → [B, L, width]:
 * [sin(col·ω), cos(col·ω), sin(row·ω), cos(row·ω)] with ω_i = 10000^(−i/(width/4)).
 */
export function sinCos2d(g: GraphBuilder, grid: string, width: number): string {
  const quarter = width / 4;
  const omega = Array.from({ length: quarter }, (_, i) => 1 / 10000 ** (i / quarter));
  const [column, row] = g.ops("Split", [grid], { attributes: { axis: -1 }, outputs: 2 });
  if (column === undefined || row === undefined) throw new Error("Split produced no outputs");
  const parts: string[] = [];
  for (const coordinate of [column, row]) {
    const angles = g.op("Mul", [coordinate, g.constFloat32(omega)]);
    parts.push(g.op("Sin", [angles]), g.op("Cos", [angles]));
  }
  return g.op("Concat", parts, { attributes: { axis: -1 } });
}
