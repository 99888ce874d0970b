/**
 * The decoder's per-layer KV tensor names: `past_key_values.{layer}.{key|value}` in,
 * `present.{layer}.{key|value}` out. Built once per layer count and shared, so a decode step
 * formats no strings.
 */

export interface LayerKvNames {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

const byLayerCount = new Map<number, readonly LayerKvNames[]>();

export function layerKvNames(numLayers: number): readonly LayerKvNames[] {
  let names = byLayerCount.get(numLayers);
  if (!names) {
    names = Array.from({ length: numLayers }, (_, layer) => ({
      pastKey: `past_key_values.${layer}.key`,
      pastValue: `past_key_values.${layer}.value`,
      presentKey: `present.${layer}.key`,
      presentValue: `present.${layer}.value`,
    }));
    byLayerCount.set(numLayers, names);
  }
  return names;
}
