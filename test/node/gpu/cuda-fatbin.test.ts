/**
 * The bundle's device-code blanking on a synthetic ELF file with an .nv_fatbin section: in a fat binary that has a
 * Hopper (sm_90) image, the other generations' payloads become zeros and nothing else changes (headers, sizes, the
 * sm_90 payload, the bytes around); a fat binary without sm_90 is left whole; a file without device code is refused.
 */
import { describe, expect, it } from "vitest";
import { elfSection, keepOneArchitecture } from "../../../bench/gpu/cuda-fatbin";

const ENTRY_HEADER = 64;

function container(entries: readonly { architecture: number; fill: number; size: number }[]): Uint8Array {
  const size = entries.reduce((sum, entry) => sum + ENTRY_HEADER + entry.size, 0);
  const bytes = new Uint8Array(16 + size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xba55ed50, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, 16, true);
  view.setBigUint64(8, BigInt(size), true);
  let at = 16;
  for (const entry of entries) {
    view.setUint16(at, 2, true);
    view.setUint32(at + 4, ENTRY_HEADER, true);
    view.setBigUint64(at + 8, BigInt(entry.size), true);
    view.setUint32(at + 28, entry.architecture, true);
    bytes.fill(entry.fill, at + ENTRY_HEADER, at + ENTRY_HEADER + entry.size);
    at += ENTRY_HEADER + entry.size;
  }
  return bytes;
}

/** A 64-bit ELF file with sections .shstrtab and (optionally) .nv_fatbin holding `fatbin`. */
function elf(fatbin: Uint8Array | null): { bytes: Uint8Array; fatbinOffset: number } {
  const names = new TextEncoder().encode("\0.shstrtab\0.nv_fatbin\0");
  const fatbinOffset = 128;
  const sectionHeaders = fatbinOffset + (fatbin?.length ?? 0) + 8;
  const count = fatbin ? 3 : 2;
  const bytes = new Uint8Array(sectionHeaders + count * 64);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  view.setBigUint64(0x28, BigInt(sectionHeaders), true);
  view.setUint16(0x3a, 64, true);
  view.setUint16(0x3c, count, true);
  view.setUint16(0x3e, 1, true);
  bytes.set(names, 64);
  const section = (index: number, name: number, offset: number, size: number) => {
    const at = sectionHeaders + index * 64;
    view.setUint32(at, name, true);
    view.setBigUint64(at + 0x18, BigInt(offset), true);
    view.setBigUint64(at + 0x20, BigInt(size), true);
  };
  section(1, 1, 64, names.length);
  if (fatbin) {
    bytes.set(fatbin, fatbinOffset);
    section(2, 11, fatbinOffset, fatbin.length);
  }
  return { bytes, fatbinOffset };
}

describe("keepOneArchitecture", () => {
  it("zeroes the other generations' images in fat binaries that have the kept one, and nothing else", () => {
    const withHopper = container([
      { architecture: 80, fill: 0x80, size: 40 },
      { architecture: 90, fill: 0x90, size: 24 },
      { architecture: 120, fill: 0xc0, size: 32 },
    ]);
    const withoutHopper = container([{ architecture: 75, fill: 0x75, size: 16 }]);
    const fatbin = new Uint8Array(withHopper.length + 8 + withoutHopper.length);
    fatbin.set(withHopper);
    fatbin.set(withoutHopper, withHopper.length + 8);
    const { bytes, fatbinOffset } = elf(fatbin);
    expect(elfSection(bytes, ".nv_fatbin")).toEqual({ offset: fatbinOffset, size: fatbin.length });
    const before = Uint8Array.from(bytes);

    expect(keepOneArchitecture(bytes, 90)).toEqual({ containers: 2, untouched: 1, keptBytes: 24, blankedBytes: 72 });
    const changed = [...bytes.keys()].filter((index) => bytes[index] !== before[index]);
    const payload = (offset: number, size: number) => Array.from({ length: size }, (_, index) => fatbinOffset + offset + index);
    // sm_80's payload starts after the container header and one entry header; sm_120's after three headers and two payloads.
    expect(changed).toEqual([...payload(16 + ENTRY_HEADER, 40), ...payload(16 + 3 * ENTRY_HEADER + 40 + 24, 32)]);
    expect(changed.every((index) => bytes[index] === 0)).toBe(true);
  });

  it("refuses a library without device code", () => {
    expect(() => keepOneArchitecture(elf(null).bytes, 90)).toThrow(/no \.nv_fatbin section/);
    expect(() => keepOneArchitecture(new Uint8Array(64), 90)).toThrow(/not a 64-bit little-endian ELF/);
  });
});
