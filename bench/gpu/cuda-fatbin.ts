/**
 * Keeps one GPU generation's device code in a CUDA library, so the GPU check's bundle fits its 64 MiB: in the
 * `.nv_fatbin` ELF section every fat-binary container holds one compiled kernel image (cubin) per architecture;
 * in each container that has the kept architecture's image, the other images' payloads are zeroed (their headers and
 * every size stay, so no offset in the library moves) and then compress to almost nothing. Containers without the
 * kept architecture are left whole. The loader picks the kept image on that GPU; the zeroed ones are never read there.
 * Layout (CUDA's fatbin format): a container is a 16-byte header (magic 0xBA55ED50, u16 version, u16 header size,
 * u64 size of its entries) followed by entries, each a header (u16 kind, u16, u32 header size, u64 payload size, ...,
 * u32 architecture at offset 28) and its payload.
 */

const FATBIN_MAGIC = 0xba55ed50;

export interface ElfSection {
  offset: number;
  size: number;
}

/** Finds a section of a 64-bit little-endian ELF file by name. */
export function elfSection(bytes: Uint8Array, name: string): ElfSection | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error("not a 64-bit little-endian ELF file");
  const sectionHeaders = Number(view.getBigUint64(0x28, true));
  const entrySize = view.getUint16(0x3a, true);
  const count = view.getUint16(0x3c, true);
  const namesIndex = view.getUint16(0x3e, true);
  const header = (index: number) => sectionHeaders + index * entrySize;
  const namesOffset = Number(view.getBigUint64(header(namesIndex) + 0x18, true));
  const decoder = new TextDecoder();
  for (let index = 0; index < count; index++) {
    const nameStart = namesOffset + view.getUint32(header(index), true);
    const nameEnd = bytes.indexOf(0, nameStart);
    if (decoder.decode(bytes.subarray(nameStart, nameEnd)) === name) {
      return { offset: Number(view.getBigUint64(header(index) + 0x18, true)), size: Number(view.getBigUint64(header(index) + 0x20, true)) };
    }
  }
  return null;
}

export interface BlankingResult {
  containers: number;
  /** Containers that had no image for the kept architecture (left whole). */
  untouched: number;
  keptBytes: number;
  blankedBytes: number;
}

/** Zeroes, in place, every kernel image of `bytes`' .nv_fatbin section that is not for `architecture` (e.g. 90 = Hopper). */
export function keepOneArchitecture(bytes: Uint8Array, architecture: number): BlankingResult {
  const section = elfSection(bytes, ".nv_fatbin");
  if (!section) throw new Error("the library has no .nv_fatbin section (no CUDA device code)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: BlankingResult = { containers: 0, untouched: 0, keptBytes: 0, blankedBytes: 0 };
  const end = section.offset + section.size;
  let at = section.offset;
  while (at + 16 <= end) {
    if (view.getUint32(at, true) !== FATBIN_MAGIC) {
      at += 8; // containers are 8-byte aligned, with padding between them
      continue;
    }
    const headerSize = view.getUint16(at + 6, true);
    const containerEnd = at + headerSize + Number(view.getBigUint64(at + 8, true));
    if (containerEnd > end) throw new Error(`a fat binary at ${at} runs past the .nv_fatbin section`);
    const entries: { payload: number; size: number; architecture: number }[] = [];
    for (let entry = at + headerSize; entry < containerEnd; ) {
      const entryHeader = view.getUint32(entry + 4, true);
      const size = Number(view.getBigUint64(entry + 8, true));
      entries.push({ payload: entry + entryHeader, size, architecture: view.getUint32(entry + 28, true) });
      entry += entryHeader + size;
    }
    result.containers += 1;
    if (entries.some((entry) => entry.architecture === architecture)) {
      for (const entry of entries) {
        if (entry.architecture === architecture) result.keptBytes += entry.size;
        else {
          bytes.fill(0, entry.payload, entry.payload + entry.size);
          result.blankedBytes += entry.size;
        }
      }
    } else {
      result.untouched += 1;
    }
    at = containerEnd;
  }
  return result;
}
