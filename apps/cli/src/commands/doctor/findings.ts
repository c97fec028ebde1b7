/**
 * What `doctor` reports about the data and the environment around a store, beyond "does it work": things
 * other software left behind that surprise a user later, and settings that make Node print secrets.
 *
 * - `NODE_DEBUG` (http, net, tls, ...) makes Node's own modules log request options, which for Vault carry the
 *   token. We cannot filter what Node prints, so doctor warns.
 * - The Python Phlow's rotation leftovers, `<id>_new` beside `<id>` (python-leftovers.ts).
 * - A store that deletes with a recovery window (AWS) may say which ids are deleted but recoverable: the
 *   Python Phlow's reads of them fail with InvalidRequestException and the ids cannot be created again until
 *   the window ends. Asked only when the store has `listRecoverableKeyIds()`.
 * - The Python Phlow accepted ids our key-id rule refuses (`agent@example.com`, `org/agent`). A file store
 *   that keeps such entries untouched may report them with `listInvalidKeyIds()`; asked only when present.
 * - The audit log (`PHLOW_KEY_AUDIT_LOG`): whether it can be opened, whether this run's own lines (the
 *   scratch key's) were written, and the gaps other processes recorded in it (lines lost to a full disk or a
 *   closed pipe). A trail that loses lines is a failure, not a warning: the loss is silent everywhere else.
 */
import type { AuditSinkStats, Env, KeyStore } from '@phlow/keys-core';
import { PYTHON_ROTATION_SUFFIX, pythonRotationLeftovers } from '../../python-leftovers.js';
import { describeUserInput } from '../../user-input.js';
import type { AuditGap } from '../audit/audit-log.js';
import type { Outcome } from './checks.js';

/** At most a few names, quoted safely, then how many more. */
function sample(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).map(describeUserInput).join(', ');
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Undefined when NODE_DEBUG is unset or empty. */
export function nodeDebugOutcome(env: Env): Outcome<void> | undefined {
  const value = env.NODE_DEBUG?.trim();
  if (!value) return undefined;
  return {
    status: 'warn',
    detail: `NODE_DEBUG is set to ${describeUserInput(value)}: Node's debug output can print request details, the Vault token included`,
    advice: {
      title: 'Secrets in debug output',
      steps: [
        'Unset NODE_DEBUG outside a debugging session, and never collect its output into shared logs',
        'Use phlow-keys --debug for our own stack traces: it prints no tokens or keys',
      ],
    },
  };
}

/** Undefined when there are none: most stores never saw the Python Phlow, and a row saying so is noise. */
export function leftoversOutcome(ids: readonly string[]): Outcome<void> | undefined {
  const leftovers = pythonRotationLeftovers(ids);
  if (leftovers.length === 0) return undefined;
  return {
    status: 'warn',
    detail: `${plural(leftovers.length, 'id looks', 'ids look')} like the Python Phlow's rotation leftovers: ${sample(leftovers)}`,
    advice: {
      title: 'Python rotation leftovers',
      steps: [
        `The Python Phlow's rotate_key wrote <id>${PYTHON_ROTATION_SUFFIX} and never removed it; nothing signs with it`,
        '`phlow-keys migrate` skips them unless you name them',
        `Once no Python agent runs rotate_key any more: phlow-keys delete <id>${PYTHON_ROTATION_SUFFIX} --yes`,
      ],
    },
  };
}

type Lister = () => Promise<string[]>;

function lister(store: KeyStore, name: string): Lister | undefined {
  const method = (store as unknown as Record<string, unknown>)[name];
  return typeof method === 'function' ? () => (method as Lister).call(store) : undefined;
}

/** Undefined when the store cannot say (no `listRecoverableKeyIds`). */
export function recoverableCheck(store: KeyStore): (() => Promise<Outcome<void>>) | undefined {
  const list = lister(store, 'listRecoverableKeyIds');
  if (!list) return undefined;
  return async () => {
    const ids = await list();
    if (ids.length === 0) return { detail: 'no deleted key waiting out its recovery window' };
    return {
      status: 'warn',
      detail: `${plural(ids.length, 'key is', 'keys are')} deleted but recoverable: ${sample(ids)}`,
      advice: {
        title: 'Deleted, not yet gone',
        steps: [
          'The Python Phlow reading these ids fails with InvalidRequestException (not "not found")',
          'The ids cannot be created again until the recovery window ends (up to 30 days)',
          'Restore one with KeyStore.restoreKeyPair (or `aws secretsmanager restore-secret`), or remove it for good with `phlow-keys delete <id> --yes --destroy`',
        ],
      },
    };
  };
}

/** Undefined when the store cannot say (no `listInvalidKeyIds`). */
export function invalidIdsCheck(store: KeyStore): (() => Promise<Outcome<void>>) | undefined {
  const list = lister(store, 'listInvalidKeyIds');
  if (!list) return undefined;
  return async () => {
    const ids = await list();
    if (ids.length === 0) return { detail: 'every stored id follows the key id rule' };
    return {
      status: 'warn',
      detail: `${plural(ids.length, 'entry has an id', 'entries have ids')} the key id rule refuses, left out of listings: ${sample(ids)}`,
      advice: {
        title: 'Ids from the Python Phlow',
        steps: [
          'They stay in the file untouched and readable by the Python Phlow; phlow-keys lists, reads and publishes only valid ids',
          'To use one here, store its key pair again under a valid id (letters, digits, ".", "_", "-"), e.g. from Python with store_key_pair("org-agent", ...)',
        ],
      },
    };
  };
}

const AUDIT_ADVICE = {
  title: 'Audit log',
  steps: [
    'Free space on its disk, or point PHLOW_KEY_AUDIT_LOG to a file you own (mode 0600, one link) or to stderr',
    'Lost lines are counted in KeyManager.auditStats and announced as an `audit-loss` event; the log records each gap once it can be written again (`phlow-keys audit` shows them)',
    'To refuse key operations while the log cannot be written, set PHLOW_KEY_AUDIT_FAIL_CLOSED=true',
  ],
};

/** What happens while the log cannot be opened, whatever PHLOW_KEY_AUDIT_FAIL_CLOSED says. */
const NOT_OPENED =
  'Until it opens, every phlow-keys command and every KeyManager given this environment stops with INVALID_CONFIG (exit 6), fail-open or not: fail-open is about writes that fail later';

/**
 * Advice for a log that could not be opened at start, by why: a missing directory and a path through a file
 * are not solved by freeing disk space.
 */
export function auditOpenAdvice(error: Error): { title: string; steps: string[] } {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  const has = (text: string) => error.message.includes(text);
  const first =
    code === 'ENOENT' || has('(ENOENT)')
      ? 'Its directory does not exist: create it (mkdir -p, owned by you, mode 0700), or point PHLOW_KEY_AUDIT_LOG to a file in a directory that exists, or to stderr'
      : code === 'ENOTDIR' || has('(ENOTDIR)')
        ? 'A part of its path is a file, not a directory: point PHLOW_KEY_AUDIT_LOG to a file in a directory (e.g. /var/log/phlow/audit.log), or to stderr'
        : code === 'EISDIR' || has('(EISDIR)') || has('not a regular file') || has('symbolic link')
          ? 'It names a directory, device, FIFO, socket or symbolic link: point PHLOW_KEY_AUDIT_LOG to a regular file (a new name is created, mode 0600), or to stderr and redirect stderr where the lines should go'
          : 'Point PHLOW_KEY_AUDIT_LOG to a regular file you own (mode 0600, one link) in a directory you own, or to stderr';
  return { title: 'Audit log cannot be opened', steps: [first, NOT_OPENED] };
}

/** What this run saw of the audit log, and what the log says about earlier losses. */
export interface AuditLogState {
  /** The sink's counters after this run's lines were flushed, or why it could not be opened. */
  readonly sink: AuditSinkStats | Error;
  readonly failClosed: boolean;
  /** Gaps recorded in the newest part of the log file (none for stderr). */
  readonly recorded?: { readonly lost: number; readonly gaps: readonly AuditGap[] };
  /**
   * Bytes free to this user on the file system holding the log file (none for stderr): a run that wrote no
   * line itself (doctor on the file store audits nothing) still finds a full disk before the agents do.
   */
  readonly freeBytes?: number;
}

/** Below this many free bytes the next audit lines are lost: a batch of lines is a few KiB. */
export const AUDIT_MIN_FREE_BYTES = 64 * 1024;

/** The `audit log` row: fail when lines were lost in this run or the log cannot be opened, warn on recorded gaps. */
export function auditLogOutcome(state: AuditLogState): Outcome<void> {
  const { sink } = state;
  if (sink instanceof Error) return { status: 'fail', detail: sink.message, advice: auditOpenAdvice(sink) };
  const where = sink.target === 'stderr' ? 'stderr' : describeUserInput(sink.target);
  const mode = state.failClosed ? 'fail-closed' : 'fail-open';
  const bound = `refused tokens: ${sink.refusedPerMinute} lines a minute, then counted`;
  if (sink.dropped > 0) {
    return {
      status: 'fail',
      detail: `${where}: ${plural(sink.dropped, 'line', 'lines')} of this run could not be written (${sink.failing ?? 'error'}), ${sink.written} written; ${mode}`,
      advice: AUDIT_ADVICE,
    };
  }
  if (state.freeBytes !== undefined && state.freeBytes < AUDIT_MIN_FREE_BYTES) {
    return {
      status: 'fail',
      detail: `${where}: the file system holding it has ${state.freeBytes} bytes free: the next lines will be lost (${mode})`,
      advice: AUDIT_ADVICE,
    };
  }
  const detail = `${where}: ${plural(sink.written, 'line', 'lines')} of this run written, none lost; ${bound}; ${mode}`;
  const recorded = state.recorded;
  if (recorded && recorded.lost > 0) {
    const last = recorded.gaps[recorded.gaps.length - 1];
    return {
      status: 'warn',
      detail: `${detail}; the log records ${plural(recorded.lost, 'lost line', 'lost lines')} (last: ${last?.lost} ${last?.errorCode} at ${last?.time})`,
      advice: AUDIT_ADVICE,
    };
  }
  return { detail };
}
