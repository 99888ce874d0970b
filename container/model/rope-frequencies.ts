/**
 * RoPE inverse frequencies for a LlamaDims, with its scaling applied: plain, linear (frequencies /
 * factor), llama3 (long wavelengths / factor, short ones kept, a smooth blend between) and dynamic
 * NTK (the base grows once the sequence passes the original length). The graph builders take their
 * tables from here; the float64 reference computes the same formulas on its own.
 */
import type { LlamaDims } from "./llama-dims";

function plainFrequencies(base: number, headDim: number): number[] {
  return Array.from({ length: headDim / 2 }, (_, index) => 1 / base ** ((2 * index) / headDim));
}

/**
 * Inverse frequencies [headDim / 2]. For dynamic scaling, `sequenceLength` is the length the
 * rotation is computed for (HF: the largest position in the call + 1); below the original
 * length it is plain RoPE.
 */
export function ropeInverseFrequencies(dims: LlamaDims, sequenceLength = 0): number[] {
  const scaling = dims.ropeScaling ?? null;
  if (scaling === null) return plainFrequencies(dims.ropeTheta, dims.headDim);
  if (scaling.type === "linear") return plainFrequencies(dims.ropeTheta, dims.headDim).map((frequency) => frequency / scaling.factor);
  if (scaling.type === "dynamic") return plainFrequencies(dynamicRopeBase(dims, sequenceLength), dims.headDim);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const lowFreqWavelength = originalMaxPositions / lowFreqFactor;
  const highFreqWavelength = originalMaxPositions / highFreqFactor;
  return plainFrequencies(dims.ropeTheta, dims.headDim).map((frequency) => {
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFreqWavelength) return frequency;
    if (wavelength > lowFreqWavelength) return frequency / factor;
    const smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (frequency / factor) + smooth * frequency;
  });
}

/** The dynamic-NTK base for a sequence of `sequenceLength` tokens (the plain base up to the original length). */
export function dynamicRopeBase(dims: LlamaDims, sequenceLength: number): number {
  const scaling = dims.ropeScaling;
  if (scaling?.type !== "dynamic") return dims.ropeTheta;
  const length = Math.max(sequenceLength, scaling.originalMaxPositions);
  const ratio = (scaling.factor * length) / scaling.originalMaxPositions - (scaling.factor - 1);
  return dims.ropeTheta * ratio ** (dims.headDim / (dims.headDim - 2));
}
