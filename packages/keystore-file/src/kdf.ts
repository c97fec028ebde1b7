/**
 * From a master key to the two values a key file needs: the payload encryption key and the key-check value.
 *
 * Passphrases go through scrypt (memory-hard) with Node's native implementation, which runs on the libuv
 * thread pool and so does not block the event loop, and measured faster than the pure-JS one here (see
 * bench/). Raw 32-byte keys skip the KDF. Parameters read from a file are checked against fixed bounds before
 * anything is allocated, so a hostile header cannot ask for gigabytes or minutes.
 */
import { createHmac, scrypt } from 'node:crypto';
import { configError } from './errors.js';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly logN: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** N = 2^17, r = 8, p = 1: 128 MiB and a few hundred milliseconds, once per process. */
export const DEFAULT_SCRYPT: ScryptParams = { logN: 17, r: 8, p: 1 };

/** Memory scrypt may use: 128 * N * r bytes. 256 MiB is twice the default. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
/** N * r * p bounds the time: four times the default. */
const MAX_SCRYPT_WORK = 2 ** 22;

/** Why `params` are out of bounds, or null when they are usable. Pure arithmetic: nothing is allocated. */
export function scryptParamsProblem(params: ScryptParams): string | null {
  const { logN, r, p } = params;
  if (!Number.isInteger(logN) || logN < 10 || logN > 20) return `scrypt logN ${logN} is outside 10..20`;
  if (!Number.isInteger(r) || r < 1 || r > 32) return `scrypt r ${r} is outside 1..32`;
  if (!Number.isInteger(p) || p < 1 || p > 16) return `scrypt p ${p} is outside 1..16`;
  // OpenSSL's own rule (EVP_PBE_scrypt_ex): N must be below 2^(16 r), so r = 1 allows logN up to 15 only.
  // Node reports a breach as a RangeError ("memory limit exceeded") from inside the KDF.
  if (logN >= 16 * r)
    return `scrypt logN ${logN} needs r of at least ${Math.floor(logN / 16) + 1} (N < 2^(16 r))`;
  const n = 2 ** logN;
  if (128 * n * r > MAX_SCRYPT_MEMORY) return `scrypt N*r needs more than ${MAX_SCRYPT_MEMORY >> 20} MiB`;
  if (n * r * p > MAX_SCRYPT_WORK) return 'scrypt N*r*p is more work than allowed';
  return null;
}

/** scrypt(passphrase, salt) into 32 bytes. Callers check the parameters first. */
export function deriveScrypt(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<Uint8Array> {
  const n = 2 ** params.logN;
  const options = { N: n, r: params.r, p: params.p, maxmem: 2 * 128 * n * params.r };
  return new Promise((resolve, reject) => {
    // Node throws parameter errors synchronously; callers checked the bounds, so this is only a backstop that
    // keeps a refusal by OpenSSL from surfacing as a raw RangeError (which KeyManager would treat as an outage).
    try {
      scrypt(passphrase, salt, 32, options, (error, key) => {
        if (error) reject(configError('scrypt refused its parameters', error));
        else resolve(new Uint8Array(key));
      });
    } catch (error) {
      reject(
        configError(
          `scrypt refused its parameters (logN ${params.logN}, r ${params.r}, p ${params.p})`,
          error,
        ),
      );
    }
  });
}

export interface FileKeys {
  /** XChaCha20-Poly1305 key for the payload. */
  readonly encryptionKey: Uint8Array;
  /** 16 bytes stored in the header: tells a wrong master key from a damaged file. */
  readonly keyCheck: Uint8Array;
}

const ENCRYPTION_LABEL = new TextEncoder().encode('phlow-keys file v1 encryption key');
const CHECK_LABEL = new TextEncoder().encode('phlow-keys file v1 key check');

/**
 * Splits 32 bytes of key material (a raw key or scrypt output) into independent subkeys, bound to the file's
 * salt, so the key-check value reveals nothing about the encryption key.
 */
export function fileKeys(material: Uint8Array, salt: Uint8Array): FileKeys {
  const withSalt = (label: Uint8Array) => {
    const message = new Uint8Array(label.length + salt.length);
    message.set(label);
    message.set(salt, label.length);
    return new Uint8Array(createHmac('sha256', material).update(message).digest());
  };
  return { encryptionKey: withSalt(ENCRYPTION_LABEL), keyCheck: withSalt(CHECK_LABEL).slice(0, 16) };
}
