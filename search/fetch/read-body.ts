/**
 * Reads a response body as a stream, stopping at a byte cap: a 50 MB page costs at most the cap in
 * memory and transfer, and the caller learns the text was truncated rather than getting an error.
 */

export interface BodyBytes {
  bytes: Uint8Array;
  truncated: boolean;
}

export async function readCappedBody(response: Response, maxBytes: number): Promise<BodyBytes> {
  if (!response.body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - total));
      total = maxBytes;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, truncated };
}
