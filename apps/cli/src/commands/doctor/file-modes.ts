/**
 * Which files of the encrypted file store other users could read. The key file is encrypted, but the master
 * key file is the secret itself, and a readable directory lets others watch keys come and go.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ModeReport {
  /** The files that exist, with their mode in octal (`0600`). */
  readonly seen: { path: string; mode: string }[];
  /** Paths group or others can access, with the chmod that fixes them. */
  readonly open: string[];
  /** Paths that do not exist. */
  readonly missing: string[];
}

export async function checkModes(keyFile: string, masterKeyFile: string | undefined): Promise<ModeReport> {
  const report: ModeReport = { seen: [], open: [], missing: [] };
  const entries: [string, number][] = [
    [dirname(keyFile), 0o700],
    [keyFile, 0o600],
  ];
  if (masterKeyFile) entries.push([masterKeyFile, 0o600]);
  for (const [path, wanted] of entries) {
    let mode: number;
    try {
      mode = (await stat(path)).mode & 0o777;
    } catch {
      report.missing.push(path);
      continue;
    }
    report.seen.push({ path, mode: mode.toString(8).padStart(4, '0') });
    if ((mode & 0o077) !== 0) report.open.push(`chmod ${wanted.toString(8)} ${path}`);
  }
  return report;
}
