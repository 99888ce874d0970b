/**
 * Writes a file so that a reader, or a build stopped half-way (Ctrl-C during `npm start`), only ever
 * sees the old content or the new one: the bytes go to a temporary name beside it, then a rename
 * replaces the file in one step.
 */
import { renameSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";

function temporaryName(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temporary = temporaryName(path);
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryName(path);
  await writeFile(temporary, data);
  await rename(temporary, path);
}
