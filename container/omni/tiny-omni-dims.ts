/**
 * Tower sizes for the tiny random Omni demo/test model: the real structure (patch 14, 70×70 buckets, 64 queries,
 * 128 mels, 1500 audio positions) at toy widths, so tests and `npm start` run the whole path on a CPU in seconds.
 */
import { OMNI_TOKENS, type OmniConfig } from "./omni-dims";

export function TINY_OMNI_DIMS(llmHiddenSize: number): OmniConfig {
  return {
    vision: {
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 2,
      intermediateSize: 64,
      patchSize: 14,
      positionBuckets: 70,
      layerNormEps: 1e-6,
      queryCount: 64,
      resamplerHeads: Math.max(1, llmHiddenSize / 16),
      outputSize: llmHiddenSize,
    },
    audio: { melBins: 128, hiddenSize: 32, numLayers: 2, numHeads: 2, maxPositions: 1500, outputSize: llmHiddenSize },
    tokens: OMNI_TOKENS,
    maxSliceNums: 9,
    scaleResolution: 448,
  };
}
