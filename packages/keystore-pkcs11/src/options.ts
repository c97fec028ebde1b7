/**
 * The options of the PKCS#11 store and how each one not given is read from the environment. The PIN comes
 * from an option, PHLOW_PKCS11_PIN, or (better: it stays out of the process environment) a file named by
 * PHLOW_PKCS11_PIN_FILE, read once and bounded in size.
 */
import { isAbsolute, resolve } from 'node:path';
import { KeyStoreError, type KeyStoreFactoryOptions } from '@phlow/keys-core';
import { intSetting, isRegularFileRefusal, readRegularFileSync } from '@phlow/keys-core/adapter';
import { type TokenAlgorithm, TYPE } from './type.js';

export interface Pkcs11KeyStoreOptions extends KeyStoreFactoryOptions {
  /** Absolute path of the PKCS#11 module (.so) to load. Required. Env: `PHLOW_PKCS11_MODULE`. */
  readonly module?: string;
  /** Label of the token that holds the keys. Required. Env: `PHLOW_PKCS11_TOKEN`. */
  readonly token?: string;
  /** The token's user PIN. Env: `PHLOW_PKCS11_PIN`. Prefer `pinFile`. */
  readonly pin?: string;
  /** A file holding the user PIN (trailing newline ignored, at most 256 bytes). Env: `PHLOW_PKCS11_PIN_FILE`. */
  readonly pinFile?: string;
  /**
   * How many times opening the token is tried again after a transient failure (0 to 10). Default: 3.
   * Env: `PHLOW_PKCS11_OPEN_RETRIES`.
   */
  readonly openRetries?: number;
  /**
   * Algorithm of the keys `createKey` makes when the call names none: `EdDSA` (Ed25519) or `ES256` (P-256,
   * for verifiers that refuse EdDSA). Rotations keep the algorithm of the key they rotate. Default: `EdDSA`.
   * Env: `PHLOW_PKCS11_ALGORITHM`.
   */
  readonly algorithm?: TokenAlgorithm;
}

export interface Pkcs11Config {
  readonly module: string;
  readonly token: string;
  readonly pin: string;
  /**
   * Where the PIN came from, as an error should name it: `PHLOW_PKCS11_PIN`, `PHLOW_PKCS11_PIN_FILE (<path>)`,
   * `the pin option` or `the pinFile option (<path>)`. A refused PIN is fixed there, not elsewhere.
   */
  readonly pinSource: string;
  readonly openRetries: number;
  readonly algorithm: TokenAlgorithm;
}

const MAX_PIN_BYTES = 256;

const invalid = (message: string) => new KeyStoreError('INVALID_CONFIG', message, { storeType: TYPE });
const given = (option: string | undefined, value: string | undefined) =>
  option !== undefined && option !== '' ? option : value !== undefined && value !== '' ? value : undefined;

/** The options given as text. Checked first, so that a PIN given as a number (a JSON or YAML config with
 * `pin: 123456` or `pinFile: 123456`) is refused by name before Node's own error could quote it. */
const TEXT_OPTIONS = ['module', 'token', 'pinFile', 'pin'] as const;

export function resolvePkcs11Config(options: Pkcs11KeyStoreOptions = {}): Pkcs11Config {
  for (const name of TEXT_OPTIONS) {
    const value: unknown = options[name];
    if (value !== undefined && typeof value !== 'string') {
      throw invalid(`the ${name} option must be a string (it is a ${typeof value}; its value is not shown)`);
    }
  }
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const module = given(options.module, env.PHLOW_PKCS11_MODULE);
  if (!module) {
    throw invalid(
      "no PKCS#11 module: set PHLOW_PKCS11_MODULE (or the module option) to the absolute path of your HSM vendor's library, e.g. /usr/lib/softhsm/libsofthsm2.so",
    );
  }
  if (!isAbsolute(module)) {
    // A relative module path would load whatever library sits in the working directory.
    throw invalid(
      'PHLOW_PKCS11_MODULE must be an absolute path: a relative one would load a library from the working directory',
    );
  }
  const token = given(options.token, env.PHLOW_PKCS11_TOKEN);
  if (!token)
    throw invalid(
      'no token label: set PHLOW_PKCS11_TOKEN (or the token option) to the label of the token that holds the keys',
    );
  if (token.length > 32)
    throw invalid('PHLOW_PKCS11_TOKEN is longer than a PKCS#11 token label (32 characters)');
  const pinFile = given(options.pinFile, env.PHLOW_PKCS11_PIN_FILE);
  const pinFilePath =
    pinFile === undefined ? undefined : isAbsolute(pinFile) ? pinFile : resolve(cwd, pinFile);
  const direct = given(options.pin, env.PHLOW_PKCS11_PIN);
  const pinFileSetting =
    options.pinFile !== undefined && options.pinFile !== '' ? 'the pinFile option' : 'PHLOW_PKCS11_PIN_FILE';
  const pin = direct ?? (pinFilePath ? readPin(pinFilePath, pinFileSetting) : undefined);
  const pinSource =
    direct !== undefined
      ? options.pin !== undefined && options.pin !== ''
        ? 'the pin option'
        : 'PHLOW_PKCS11_PIN'
      : options.pinFile !== undefined && options.pinFile !== ''
        ? `the pinFile option (${pinFilePath})`
        : `PHLOW_PKCS11_PIN_FILE (${pinFilePath})`;
  if (!pin)
    throw invalid(
      "no PIN: set PHLOW_PKCS11_PIN_FILE to a file holding the token's user PIN (or PHLOW_PKCS11_PIN, or the pin / pinFile options)",
    );
  const openRetries = intSetting(options.openRetries, env, 'PHLOW_PKCS11_OPEN_RETRIES', 3, {
    min: 0,
    max: 10,
    option: 'openRetries',
    storeType: TYPE,
  });
  return { module, token, pin, pinSource, openRetries, algorithm: checkedAlgorithm(options.algorithm, env) };
}

/** The algorithm from the option, else PHLOW_PKCS11_ALGORITHM, else EdDSA; anything else is INVALID_CONFIG. */
export function checkedAlgorithm(value: string | undefined, env: Record<string, string | undefined> = {}) {
  const fromOption = value !== undefined;
  const raw = fromOption ? value : env.PHLOW_PKCS11_ALGORITHM?.trim() || 'EdDSA';
  if (raw === 'EdDSA' || raw === 'ES256') return raw;
  throw invalid(
    `${fromOption ? 'the algorithm option' : 'PHLOW_PKCS11_ALGORITHM'} must be EdDSA (Ed25519, the default) or ES256 (P-256)`,
  );
}

/**
 * The PIN file, through core's regular-file rules (a FIFO, device, socket or directory refused without
 * blocking, at most MAX_PIN_BYTES read). `setting` names where the path came from: errors name it, never the
 * path, which is the PIN itself when someone sets the variable to the PIN instead of to a file holding it.
 */
function readPin(path: string, setting: string): string {
  let bytes: Uint8Array;
  try {
    // Symbolic links are followed: secrets mounts (a Kubernetes secret volume, Docker and systemd credentials)
    // give the PIN file as a link into a directory the mount swaps atomically; the target must still be a
    // regular file of at most MAX_PIN_BYTES, checked on the open descriptor.
    bytes = readRegularFileSync(path, { maxBytes: MAX_PIN_BYTES, followSymlinks: true });
  } catch (error) {
    if (isRegularFileRefusal(error)) {
      throw invalid(
        error.reason === 'too-large'
          ? `${setting} names a file larger than a PIN (${MAX_PIN_BYTES} bytes): set it to the path of a file holding only the PIN`
          : `${setting} names a ${error.kind}, not a regular file: set it to the path of a file holding the PIN`,
      );
    }
    // Only the code: a file-system error's message quotes the path.
    const code = (error as { code?: unknown }).code;
    throw invalid(
      `cannot read the file ${setting} names (${typeof code === 'string' ? code : 'unreadable'}): set it to the path of a file holding the PIN, not to the PIN itself`,
    );
  }
  const pin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  bytes.fill(0);
  return pin;
}
