/**
 * Telling one generation of the key file from another without reading it whole, so that a cached read costs
 * the same at 50 keys and at 50,000 (an open, an fstat and a read of 76 bytes, instead of reading and
 * comparing every byte of a 17 MiB file).
 *
 * The rule: the map decrypted earlier is reused when the file now at the path has the same identity as the
 * one it was decrypted from, all of
 *   - device and inode, size, mtime and ctime in nanoseconds (fstat of the open handle, so a path swapped
 *     in between cannot mix two files), and
 *   - its first 76 bytes: in format 1 the header, whose 24-byte nonce is random on every write; in a Python
 *     Fernet token the version, timestamp and random 16-byte IV (the first 34 characters).
 *
 * Why each part: the writers of this store (in any process) replace the file by renaming a new one over it,
 * so the inode changes, but a freed inode number is often given to the very next file, and size and mtime
 * can repeat (two writes in one timestamp tick, 1-2 s on some file systems, or anyone restoring the mtime).
 * The random nonce cannot repeat: no write of format 1 (nor of a Fernet token, by this store or by the
 * Python Phlow, which rewrites the file in place) keeps the first 76 bytes. ctime is set by the kernel on
 * every change and cannot be set back from user space, so an in-place edit is seen even when it restores
 * the mtime.
 *
 * The limit: an in-place edit that keeps the first 76 bytes and the size, in the same ctime tick as the
 * write before it (a few ms; ctime is not settable without changing the system clock), is not seen until the
 * file changes again. No writer of the format does that; such an edit is tampering, and meanwhile the store
 * keeps serving the map it authenticated, never unauthenticated bytes (the next write replaces the file
 * from that map). On NFS, open() revalidates attributes (close-to-open consistency), so this sees what a
 * whole-file read would.
 */
import type { BigIntStats } from 'node:fs';
import { readOpenedHead } from '@phlow/keys-core/adapter';
import { type OpenRegularFile, openRegularFile, type ReadLimit, readOpened } from './bounded-read.js';
import { HEADER_LENGTH } from './format.js';

/** Bytes compared from the start of the file: the format-1 header, nonce included (see format.ts). */
export const IDENTITY_HEAD_BYTES = HEADER_LENGTH;

export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly head: Uint8Array;
}

/** A read that found the identity the caller had, or the whole file with its identity. */
export type GenerationRead =
  | { readonly unchanged: true }
  | { readonly unchanged: false; readonly bytes: Uint8Array; readonly identity: FileIdentity };

const identityOf = (stats: BigIntStats, head: Uint8Array): FileIdentity => ({
  dev: stats.dev,
  ino: stats.ino,
  size: stats.size,
  mtimeNs: stats.mtimeNs,
  ctimeNs: stats.ctimeNs,
  head,
});

const sameHead = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    sameHead(a.head, b.head)
  );
}

/** The first bytes of an open file, at most IDENTITY_HEAD_BYTES and its fstat size (fewer when shorter). */
const readHead = (file: OpenRegularFile): Promise<Uint8Array> =>
  readOpenedHead(file, Math.min(IDENTITY_HEAD_BYTES, Number(file.stats.size)));

/**
 * Whether the file at `path` still has the identity `known`, without reading more than its first bytes.
 * Errors as for readGeneration.
 */
export async function isUnchanged(
  path: string,
  limit: ReadLimit,
  known: FileIdentity,
  onStat?: (mode: number) => void,
): Promise<boolean> {
  const file = await openRegularFile(path, limit, onStat);
  try {
    if (file.stats.size !== known.size || file.stats.ino !== known.ino) return false;
    return sameIdentity(identityOf(file.stats, await readHead(file)), known);
  } finally {
    await file.handle.close();
  }
}

/**
 * Reads the key file at `path` unless its identity is still `known`. Errors are those of readRegularFile
 * (ENOENT and other file-system errors as they are; a special file or one over the limit INVALID_CONFIG).
 */
export async function readGeneration(
  path: string,
  limit: ReadLimit,
  known: FileIdentity | undefined,
  onStat?: (mode: number) => void,
): Promise<GenerationRead> {
  const file = await openRegularFile(path, limit, onStat);
  try {
    if (known && file.stats.size === known.size && file.stats.ino === known.ino) {
      if (sameIdentity(identityOf(file.stats, await readHead(file)), known)) return { unchanged: true };
    }
    const bytes = await readOpened(file, path, limit);
    // Taken from the bytes read, not read again: the identity always describes the bytes it comes with.
    const head = bytes.slice(0, IDENTITY_HEAD_BYTES);
    return { unchanged: false, bytes, identity: identityOf(file.stats, head) };
  } finally {
    await file.handle.close();
  }
}

/**
 * The identity of the file at `path` when it holds `bytes` (a generation just written), else undefined. Its
 * size and first bytes must match; a writer that replaced it since changed those.
 */
export async function identityIfHolds(
  path: string,
  limit: ReadLimit,
  bytes: Uint8Array,
): Promise<FileIdentity | undefined> {
  const file = await openRegularFile(path, limit);
  try {
    if (file.stats.size !== BigInt(bytes.length)) return undefined;
    const identity = identityOf(file.stats, await readHead(file));
    return sameHead(identity.head, bytes.subarray(0, IDENTITY_HEAD_BYTES)) ? identity : undefined;
  } finally {
    await file.handle.close();
  }
}
