/**
 * The peer: @huggingface/transformers `generate` on the same model folder, offline.
 * TTFT = a 1-token generate; decode rate from the N-token minus 1-token time (same method
 * as for our engine). min_new_tokens keeps it from stopping at eos, like ignore_eos for us.
 */
import { AutoModelForCausalLM, Tensor, env } from "@huggingface/transformers";

export interface PeerOptions {
  root: string;
  name: string;
  promptIds: readonly number[];
  tokens: number;
  threads: number;
  /** transformers.js device name: "cpu" or "cuda" (onnxruntime-node's CUDA provider). */
  device: "cpu" | "cuda";
}

export interface BatchOneSample {
  ttftMs: number;
  decodeTokPerS: number;
}

/** Loads the model once; each `sample()` is one TTFT + decode measurement. */
export interface TransformersJsPeer {
  sample(): Promise<BatchOneSample>;
  /** Plain greedy generate (stops at eos): the generated ids, for a same-tokens check. */
  greedyIds(count: number): Promise<number[]>;
  dispose(): Promise<void>;
}

export async function transformersJsPeer(options: PeerOptions): Promise<TransformersJsPeer> {
  env.allowRemoteModels = false;
  env.localModelPath = `${options.root}/`;
  const model = await AutoModelForCausalLM.from_pretrained(options.name, {
    dtype: "fp32",
    device: options.device,
    session_options: { intraOpNumThreads: options.threads },
  });
  const ids = BigInt64Array.from(options.promptIds, (id) => BigInt(id));
  const inputs = {
    input_ids: new Tensor("int64", ids, [1, ids.length]),
    attention_mask: new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  };
  const generate = async (count: number): Promise<number> => {
    const started = performance.now();
    await model.generate({ ...inputs, max_new_tokens: count, min_new_tokens: count, do_sample: false });
    return performance.now() - started;
  };
  await generate(8);
  return {
    async sample() {
      const one = await generate(1);
      const many = await generate(options.tokens);
      return { ttftMs: one, decodeTokPerS: (options.tokens - 1) / ((many - one) / 1000) };
    },
    async greedyIds(count) {
      const output = await model.generate({ ...inputs, max_new_tokens: count, do_sample: false });
      if (!(output instanceof Tensor)) throw new Error("generate did not return a tensor");
      return Array.from(output.data, (id) => Number(id)).slice(ids.length);
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}
