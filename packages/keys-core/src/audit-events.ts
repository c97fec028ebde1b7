/**
 * The one place audit events are assembled: every event KeyManager emits, and every event code outside it
 * records through `KeyManager.recordAudit` (the CLI, keys-jwt), gets its time, store type, id, duration and
 * caller here, with one caller rule (`auditCaller`) and one id rule (`auditKeyId`). The sink and line format
 * live in audit.ts.
 *
 * When neither an `onEvent` hook nor `PHLOW_KEY_AUDIT_LOG` is set, `auditing` is false and the operations
 * skip every step here: the sign hot path stays one branch.
 */
import { createHash } from 'node:crypto';
import { BoundedMap } from './adapter/bounded-map.js';
import {
  auditCaller,
  auditFailure,
  auditKeyId,
  isoTime,
  type KeyAuditEvent,
  type KeyAuditOperation,
} from './audit.js';
import { type AuditSinkStats, auditSinkFromEnv, type JsonLinesAuditSink } from './audit-sink.js';
import type { Env } from './contract.js';
import { KeyStoreError } from './errors.js';
import type { KeyAccessOptions, KeyManagerEvent } from './manager-options.js';

/** The fields of an audit event an operation fills in; the rest (time, store, id, duration, caller) are common. */
export type AuditFields = Omit<
  Partial<KeyAuditEvent>,
  'type' | 'time' | 'operation' | 'storeType' | 'keyId' | 'durationMs' | 'caller'
>;

/** The names of AuditFields, for `external` to copy nothing else. */
const AUDIT_FIELD_NAMES = [
  'outcome',
  'kid',
  'version',
  'errorCode',
  'source',
  'private',
  'valid',
  'rotation',
  'messageSha256',
  'tool',
  'targetStoreType',
] as const satisfies readonly (keyof AuditFields)[];

/** The global `performance`, once read: in Node 20 it is an accessor, run on every read. */
let perf: typeof performance | undefined;

/**
 * `performance.now()`, reading the global `performance` once (importing node:perf_hooks instead would load
 * it at start-up, which the CLI cannot spare). Twice per audited signature.
 */
export function monotonicNow(): number {
  if (perf === undefined) perf = performance;
  return perf.now();
}

const encoder = new TextEncoder();
export const bytes = (data: Uint8Array | string): Uint8Array =>
  typeof data === 'string' ? encoder.encode(data) : data;

export interface AuditorOptions {
  readonly storeType: string;
  readonly env: Env;
  readonly onEvent: ((event: KeyManagerEvent) => void) | undefined;
  readonly caller: string | undefined;
  readonly hashMessages: boolean;
  readonly now: () => number;
  /** Most ids whose last signing key is remembered (for `activated` events). */
  readonly maxEntries: number;
  /** `auditFailClosed` option; else `PHLOW_KEY_AUDIT_FAIL_CLOSED` of `env`. */
  readonly failClosed: boolean | undefined;
}

/** The fail-closed setting: the option, else `PHLOW_KEY_AUDIT_FAIL_CLOSED` (`true`/`1` or `false`/`0`), else false. */
function failClosedSetting(option: boolean | undefined, env: Env): boolean {
  if (option !== undefined) return option === true;
  const raw = env.PHLOW_KEY_AUDIT_FAIL_CLOSED?.trim().toLowerCase();
  if (!raw || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new KeyStoreError(
    'INVALID_CONFIG',
    'PHLOW_KEY_AUDIT_FAIL_CLOSED must be true or false (1 or 0); default false',
  );
}

/** Unsubscribes the loss listener of an Auditor that was collected (KeyManagers made per request). */
const unsubscribeLater = new FinalizationRegistry<() => void>((unsubscribe) => unsubscribe());

export class Auditor {
  /** Set once: when false, operations skip every audit step. */
  readonly auditing: boolean;
  readonly #o: AuditorOptions;
  readonly #caller: string | undefined;
  /** The last id that passed the id rule. */
  #lastKeyId: string | undefined;
  /** The kid each id last signed with in this process, to record when a staged key starts signing. */
  readonly #signingKids: BoundedMap<string, string>;
  readonly #sink: JsonLinesAuditSink | undefined;
  readonly #failClosed: boolean;
  /** Delivers an event to the sink (audit events) and the hook; false when the sink could not write it now. */
  readonly #deliver: (event: KeyManagerEvent) => boolean;

  constructor(options: AuditorOptions) {
    this.#o = options;
    this.#signingKids = new BoundedMap(options.maxEntries);
    const hook = options.onEvent;
    const sink = auditSinkFromEnv(options.env);
    const failClosed = failClosedSetting(options.failClosed, options.env);
    if (failClosed && !sink) {
      throw new KeyStoreError(
        'INVALID_CONFIG',
        'PHLOW_KEY_AUDIT_FAIL_CLOSED (auditFailClosed) needs an audit log to guard: set PHLOW_KEY_AUDIT_LOG to a file path or stderr',
      );
    }
    this.#sink = sink;
    this.#failClosed = failClosed;
    this.auditing = hook !== undefined || sink !== undefined;
    // One delivery function per setting, each its own function literal: in a process with several
    // KeyManagers set up differently, a shared one would see every kind of sink and hook and be optimized
    // for none (the sign hot path calls it once per signature).
    if (!sink) {
      this.#deliver = hook
        ? (event) => {
            try {
              hook(event);
            } catch {
              // An event hook must not break key reads.
            }
            return true;
          }
        : () => true;
    } else if (!hook) {
      this.#deliver = failClosed
        ? (event) => {
            if (event.type !== 'audit') return true;
            try {
              return sink.writeNow(event);
            } catch {
              return false;
            }
          }
        : (event) => {
            if (event.type === 'audit') {
              try {
                sink(event);
              } catch {
                // Counted by the sink; key operations go on.
              }
            }
            return true;
          };
    } else {
      const write = failClosed
        ? sink.writeNow
        : (e: KeyAuditEvent) => {
            sink(e);
            return true;
          };
      this.#deliver = (event) => {
        let written = true;
        if (event.type === 'audit') {
          try {
            written = write(event);
          } catch {
            written = false;
          }
        }
        try {
          // A success fail-closed withholds (its line could not be written) reaches the hook as what the caller
          // gets: a failure with AUDIT_UNAVAILABLE. One event per operation either way.
          hook(
            written || !failClosed || event.type !== 'audit' || event.outcome !== 'success'
              ? event
              : { ...event, outcome: 'failure', errorCode: 'AUDIT_UNAVAILABLE' },
          );
        } catch {
          // An event hook must not break key reads.
        }
        return written;
      };
    }
    if (hook && sink) {
      // Lost audit lines reach the application on the same hook as everything else.
      const self = new WeakRef(this);
      const unsubscribe = sink.onLoss((loss) => self.deref()?.emit({ type: 'audit-loss', ...loss }));
      unsubscribeLater.register(this, unsubscribe);
    }
    this.#caller = auditCaller(options.caller ?? options.env.PHLOW_KEY_AUDIT_CALLER);
  }

  /** Any event (stale, error, rotated, audit, audit-loss), to the hook and, for audit events, the sink. Never throws. */
  emit(event: KeyManagerEvent): void {
    this.#deliver(event);
  }

  /** The counters of the `PHLOW_KEY_AUDIT_LOG` sink, when one is set. */
  get stats(): AuditSinkStats | undefined {
    return this.#sink?.stats();
  }

  /** Writes the sink's pending lines now. */
  flush(): void {
    this.#sink?.flush();
  }

  /** AUDIT_UNAVAILABLE for an operation fail-closed refuses (`ran`: it ran, and only its result is withheld). */
  #unavailable(operation: KeyAuditOperation, keyId: string | undefined, ran: boolean): KeyStoreError {
    const stats = this.#sink?.stats();
    const where = stats?.target === 'stderr' ? 'on stderr' : `${JSON.stringify(stats?.target ?? '')}`;
    return new KeyStoreError(
      'AUDIT_UNAVAILABLE',
      `the audit log ${where} cannot be written (${stats?.failing ?? 'error'}), and PHLOW_KEY_AUDIT_FAIL_CLOSED refuses key operations without it: ${operation} ${ran ? 'ran, but its result is withheld (a store write may have been applied)' : 'was not run'}. Free space or fix the log target (phlow-keys doctor checks it), or unset PHLOW_KEY_AUDIT_FAIL_CLOSED to keep working while lost lines are counted`,
      { storeType: this.#o.storeType, keyId: auditKeyId(keyId) },
    );
  }

  /**
   * Runs `run` and records one audit event for it (when auditing): `fields` describes a success (null: record
   * nothing), `failed` adds to a failure's outcome and code. Without auditing this is `run()`.
   */
  async audited<T>(
    operation: KeyAuditOperation,
    keyId: string,
    options: KeyAccessOptions | undefined,
    run: () => Promise<T>,
    fields?: (result: T) => AuditFields | null,
    failed?: AuditFields,
  ): Promise<T> {
    if (!this.auditing) return run();
    const started = monotonicNow();
    if (this.#failClosed && !this.#sink!.recover()) {
      // The log is known to fail: refuse before the operation changes anything.
      const refused = this.#unavailable(operation, keyId, false);
      this.record(operation, keyId, started, options, { ...failed, ...auditFailure(refused) });
      throw refused;
    }
    let result: T;
    try {
      result = await run();
    } catch (error) {
      this.record(operation, keyId, started, options, { ...failed, ...auditFailure(error) });
      throw error;
    }
    const described = fields ? fields(result) : {};
    if (described !== null) this.record(operation, keyId, started, options, described);
    return result;
  }

  /**
   * Builds and emits one audit event. `started` is the `performance.now()` the operation began at. Under
   * fail-closed, a success whose line cannot be written throws AUDIT_UNAVAILABLE: the caller does not get
   * the result of an operation the trail does not show.
   */
  record(
    operation: KeyAuditOperation,
    keyId: string | undefined,
    started: number,
    options: KeyAccessOptions | undefined,
    fields: AuditFields,
  ): void {
    const caller = options?.caller !== undefined ? auditCaller(options.caller) : this.#caller;
    // The id rule once per id in a row (a service signs with one key), not once per event.
    let id: string | undefined;
    if (keyId !== undefined && keyId === this.#lastKeyId) id = keyId;
    else {
      id = auditKeyId(keyId);
      if (id !== undefined) this.#lastKeyId = id;
    }
    const event = build(operation, started, this.#o.now(), this.#o.storeType, id, caller, fields);
    if (!this.#deliver(event) && this.#failClosed && event.outcome === 'success') {
      throw this.#unavailable(operation, keyId, true);
    }
  }

  /**
   * An event recorded for code outside KeyManager: only the fields an operation fills in are kept, so the
   * common ones (id, caller, store, time) follow KeyManager's rules and nothing else a caller's object
   * carries reaches a hook. `message` is hashed into `messageSha256` only under `auditMessageHash`.
   */
  external(
    operation: KeyAuditOperation,
    keyId: string | undefined,
    startedAt: number,
    fields: AuditFields,
    options?: KeyAccessOptions & { readonly message?: Uint8Array | string },
  ): void {
    if (!this.auditing) return;
    const kept: Record<string, unknown> = {};
    for (const name of AUDIT_FIELD_NAMES) {
      if (fields[name] !== undefined) kept[name] = fields[name];
    }
    if (options?.message !== undefined) kept.messageSha256 = this.messageHash(options.message);
    this.record(operation, keyId, startedAt, options, kept as AuditFields);
  }

  /** SHA-256 of a signed or verified message, only under `auditMessageHash`. */
  messageHash(data: Uint8Array | string): string | undefined {
    if (!this.#o.hashMessages) return undefined;
    try {
      return createHash('sha256').update(bytes(data)).digest('hex');
    } catch {
      return undefined; // not a message sign() accepts either; the operation reports that
    }
  }

  /** Records `activated` the first time this process signs `keyId` with a key that replaced the one it used. */
  noteSigningKey(
    keyId: string,
    kid: string,
    version: string | undefined,
    started: number,
    options: KeyAccessOptions | undefined,
  ): void {
    const last = this.#signingKids.get(keyId);
    if (last === kid) return;
    this.#signingKids.set(keyId, kid);
    if (last !== undefined)
      this.record('rotate', keyId, started, options, { kid, version, rotation: 'activated' });
  }
}

/** What an audit event of one operation says besides its common fields; `keyId` and `caller` are checked here. */
export type AuditEventFields = AuditFields & {
  readonly storeType: string;
  readonly keyId?: string | undefined;
  readonly caller?: string | undefined;
};

/**
 * THE audit-event builder: time, duration (from `startedAt`, a `performance.now()`), outcome `success` unless
 * `fields` says otherwise, and the id and caller rules (`auditKeyId`, `auditCaller`: an id that breaks the id
 * rule is left out, a caller is cleaned and bounded).
 */
export function auditEvent(
  operation: KeyAuditOperation,
  startedAt: number,
  fields: AuditEventFields,
  nowMs: number = Date.now(),
): KeyAuditEvent {
  const { storeType, keyId, caller, ...rest } = fields;
  return build(operation, startedAt, nowMs, storeType, auditKeyId(keyId), auditCaller(caller), rest);
}

/**
 * The event with its common fields already checked (the id and caller rules applied by the callers above).
 * Written out field by field rather than spread from `fields`: it runs once per signature, and only the
 * fields an operation fills in are copied (`outcome` is `success` unless `fields` names one).
 */
function build(
  operation: KeyAuditOperation,
  startedAt: number,
  nowMs: number,
  storeType: string,
  keyId: string | undefined,
  caller: string | undefined,
  fields: AuditFields,
): KeyAuditEvent {
  return {
    type: 'audit',
    time: isoTime(nowMs),
    operation,
    outcome: fields.outcome ?? 'success',
    storeType,
    keyId,
    durationMs: Math.round((monotonicNow() - startedAt) * 1000) / 1000,
    caller,
    kid: fields.kid,
    version: fields.version,
    errorCode: fields.errorCode,
    source: fields.source,
    private: fields.private,
    valid: fields.valid,
    rotation: fields.rotation,
    messageSha256: fields.messageSha256,
    tool: fields.tool,
    targetStoreType: fields.targetStoreType,
  };
}

/**
 * Records one event of work done outside a KeyManager (the CLI's migrate and rekey) in the
 * `PHLOW_KEY_AUDIT_LOG` sink of `env`, with `PHLOW_KEY_AUDIT_CALLER` as caller unless `fields` names one.
 * Never throws: auditing must not change what the work did.
 */
export function recordAuditEvent(
  env: Env,
  operation: KeyAuditOperation,
  startedAt: number,
  fields: AuditEventFields,
): void {
  try {
    const sink = auditSinkFromEnv(env);
    if (!sink) return;
    sink(auditEvent(operation, startedAt, { caller: env.PHLOW_KEY_AUDIT_CALLER, ...fields }));
  } catch {
    // An unusable sink was reported by the KeyManager that opened it.
  }
}
