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
import { hostname } from 'node:os';
import { hasErrno } from './errors.js';

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

/** Same host and same pid namespace: a pid written by that process can be checked with kill(pid, 0). */
export function isLocal(host: string, ns: string | undefined): boolean {
  return host === hostname() && ns === namespaceId();
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
