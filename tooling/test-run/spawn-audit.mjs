/**
 * Loaded into every Node process of a test run (`NODE_OPTIONS=--import=<this file>`, set by run.mjs): records
 * each command that a process starts by bare name (a PATH lookup such as `zsh`, not a path such as
 * `/root/.cache/.../vault`) to the file named by PHLOW_SPAWN_LOG, one `name<TAB>working directory` a line.
 * run.mjs then compares the names with what the machine image has and what tooling/services installs
 * (./provisioned.mjs), so a test that reaches for a binary nobody installs fails the run on this machine too,
 * not only on a fresh one. Does nothing without PHLOW_SPAWN_LOG.
 */
import childProcess from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const LOG = process.env.PHLOW_SPAWN_LOG;

/** The command of a shell command line (`FOO=1 zsh -c ...` -> `zsh`, `(sleep 1; ...)` -> `sleep`). */
export function commandOfShellLine(line) {
  const words = String(line)
    .replace(/^[\s({]+/, '')
    .split(/\s+/);
  return words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && w !== 'exec') ?? '';
}

function record(name) {
  const bare = String(name).replace(/^["']|["']$/g, '');
  if (!bare || bare.includes('/')) return;
  try {
    appendFileSync(LOG, `${bare}\t${process.cwd()}\n`);
  } catch {
    // The audit must never change what the test sees.
  }
}

/** `shell: true` runs `/bin/sh -c <line>`: the command is the line's first word. */
function recordSpawn(file, args, shell) {
  if (shell) record(commandOfShellLine([file, ...(Array.isArray(args) ? args : [])].join(' ')));
  else record(file);
}

if (LOG) {
  const { ChildProcess } = childProcess;
  const spawn = ChildProcess.prototype.spawn;
  // spawn, exec, execFile and fork all go through here; a shell was already put in front by then.
  ChildProcess.prototype.spawn = function auditedSpawn(options) {
    const [, flag, line] = options?.args ?? [];
    if (/(^|\/)(ba)?sh$/.test(options?.file ?? '') && flag === '-c') record(commandOfShellLine(line));
    else record(options?.file);
    return spawn.call(this, options);
  };
  const { spawnSync, execFileSync, execSync } = childProcess;
  childProcess.spawnSync = (...call) => {
    recordSpawn(call[0], call[1], (Array.isArray(call[1]) ? call[2] : call[1])?.shell);
    return spawnSync(...call);
  };
  childProcess.execFileSync = (...call) => {
    recordSpawn(call[0], call[1], (Array.isArray(call[1]) ? call[2] : call[1])?.shell);
    return execFileSync(...call);
  };
  childProcess.execSync = (...call) => {
    record(commandOfShellLine(call[0]));
    return execSync(...call);
  };
  syncBuiltinESMExports();
}
