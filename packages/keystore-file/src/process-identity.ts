/**
 * Who a process is, for deciding whether a lock holder or a temp file's writer can be checked for liveness.
 *
 * A pid means something only inside its pid namespace: two containers that share a hostname (or a volume
 * and the host's name) can each have a pid 42. So a holder is "local" only when it has our host name AND our
 * namespace identity: the inode of /proc/self/ns/pid, or, where that cannot be read, the kernel's boot id,
 * or '' where neither exists (no pid namespaces to tell apart). Only a local holder's pid is trusted; any
 * other holder can only be judged by age.
 */
import { readFileSync, statSync } from 'node:fs';
import { hasErrno } from './errors.js';

/**
 * This machine's host name. node:os is loaded when first asked (only writes and lock checks ask), not when the
 * store is imported: a command that only reads keys, such as `phlow-keys jwks`, never loads it.
 */
export function hostName(): string {
  return (process.getBuiltinModule('node:os') as typeof import('node:os')).hostname();
}

let cached: string | undefined;

/** This process's pid namespace identity (see above). */
export function namespaceId(): string {
  if (cached !== undefined) return cached;
  try {
    cached = `pidns:${statSync('/proc/self/ns/pid').ino}`;
  } catch {
    try {
      cached = `boot:${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
    } catch {
      cached = '';
    }
  }
  return cached;
}

let boot: string | null | undefined;

/** The kernel's boot id (a new random value at every boot), or null where it cannot be read. */
export function bootId(): string | null {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot;
}

/**
 * When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or null where that
 * cannot be read (no procfs, the process is gone). With the boot id it names one process for good: a pid
 * can be reused, the pair (boot id, start time) cannot.
 */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (the command name) is in parentheses and may itself hold spaces and parentheses: count the
  // fields after its last ')', which is field 3 onwards, so field 22 is the 20th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/** Same host and same pid namespace: a pid written by that process can be checked with kill(pid, 0). */
export function isLocal(host: string, ns: string | undefined): boolean {
  return host === hostName() && ns === namespaceId();
}

/** Whether `pid` runs (in our pid namespace). EPERM means it runs under another user. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !hasErrno(error, 'ESRCH');
  }
}
