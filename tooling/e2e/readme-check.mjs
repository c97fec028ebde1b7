#!/usr/bin/env node
/**
 * Runs every code block of every README (root, packages/*, apps/*, tooling/*) as a reader would copy it: the
 * text is extracted from the Markdown, never kept as a copy. TypeScript and JavaScript blocks are type-stripped
 * with esbuild and run with node against the built workspace packages; bash blocks run with bash; both in a
 * temporary directory with a private HOME, the test Vault and moto (run this under
 * tooling/services/with-services.sh) and `phlow-keys` on PATH. Blocks of one README run in order and share the
 * directory and the variables earlier bash blocks exported, like one terminal session. Every README is run
 * twice in a row in the same directory, because a snippet that fails on its second run fails its users on
 * their application's first restart. Blocks marked `<!-- not-run: reason -->` and data blocks (json, hcl, ...)
 * are listed with the reason; a block marked `<!-- run: once-per-directory: reason -->` runs its second time
 * in a fresh directory. Any block printing a private key fails. The TypeScript blocks that ran are then
 * type-checked with the workspace's compiler settings (lib/typecheck.mjs).
 *
 * Usage: node readme-check.mjs [README paths relative to the root ...]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { transformSync } from 'esbuild';
import { classify, extractBlocks } from './lib/markdown.mjs';
import { run, tail } from './lib/run.mjs';
import { typecheckBlocks } from './lib/typecheck.mjs';
import { publishedPackages, ROOT, readmes } from './lib/workspace.mjs';

const PASSED_THROUGH = /^(VAULT_ADDR|VAULT_URL|VAULT_TOKEN|AWS_[A-Z_]+|LANG|LC_ALL|TERM)$/;
const SHELL_NOISE = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'PHLOW_README_ENV_OUT']);
const LEAK = /PRIVATE KEY-----|"d"\s*:\s*"/;

const work = mkdtempSync(join(tmpdir(), 'phlow-readme-'));
const bin = join(work, 'bin');
mkdirSync(bin);
// `phlow-keys` as an installed bin would be, on the node that runs this check.
writeFileSync(
  join(bin, 'phlow-keys'),
  `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'apps/cli/dist/cli.js')}" "$@"\n`,
  { mode: 0o755 },
);

let fresh = 0;
/** A new directory where the published packages resolve to the built workspace ones. */
function newDirectory(parent = work) {
  const dir = join(parent, `d${++fresh}`);
  mkdirSync(join(dir, 'node_modules', '@phlow'), { recursive: true });
  mkdirSync(join(dir, 'home'));
  for (const { dir: pkg, manifest } of publishedPackages()) {
    symlinkSync(pkg, join(dir, 'node_modules', manifest.name));
  }
  return dir;
}

function baseEnv(dir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => PASSED_THROUGH.test(k)));
  return {
    ...env,
    PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: join(dir, 'home'),
    TMPDIR: tmpdir(),
    // One namespace per directory in the shared test Vault and moto, so READMEs do not see each other's keys.
    PHLOW_VAULT_PREFIX: `readme-${fresh}/keys/`,
    PHLOW_AWS_SECRET_PREFIX: `readme-${fresh}/`,
  };
}

async function runBlock(block, how, cwd, env) {
  if (how === 'node') {
    const file = join(cwd, `readme-line-${block.line}.mjs`);
    const { code } = transformSync(block.code, { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(file, code);
    return { result: await run(process.execPath, [file], { cwd, env }), env };
  }
  const envOut = join(cwd, `.env-after-${block.line}`);
  const script = `set -euo pipefail\n${block.code}\nenv -0 > "$PHLOW_README_ENV_OUT"\n`;
  const result = await run('bash', ['--noprofile', '--norc', '-c', script], {
    cwd,
    env: { ...env, PHLOW_README_ENV_OUT: envOut },
  });
  if (result.code !== 0) return { result, env };
  // What the block exported is there for the blocks after it, as in the reader's terminal.
  const after = Object.fromEntries(
    readFileSync(envOut, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])
      .filter(([k]) => !SHELL_NOISE.has(k)),
  );
  rmSync(envOut);
  return { result, env: after };
}

const counts = { ran: 0, notRun: 0, data: 0, failed: 0 };
const typed = [];
const wanted = process.argv.slice(2);
for (const readme of wanted.length ? wanted : readmes()) {
  let plan;
  try {
    plan = extractBlocks(readFileSync(join(ROOT, readme), 'utf8')).map((b) => ({ ...b, how: classify(b) }));
  } catch (e) {
    counts.failed++;
    console.log(`FAIL     ${readme}: ${e.message}`);
    continue;
  }
  const dir = newDirectory();
  const results = new Map();
  for (const pass of [1, 2]) {
    let env = baseEnv(dir);
    for (const block of plan) {
      if (results.get(block)?.failed) break;
      if (block.how === 'not-run' || block.how === 'data') continue;
      const once = block.how.startsWith('once-');
      const cwd = once && pass === 2 ? newDirectory(dir) : dir;
      const blockEnv = once && pass === 2 ? { ...env, ...baseEnv(cwd) } : env;
      const { result, env: after } = await runBlock(block, block.how.replace('once-', ''), cwd, blockEnv);
      const output = result.stdout + result.stderr;
      const failed = result.code !== 0 || LEAK.test(output);
      results.set(block, { failed, pass, result, leak: LEAK.test(output) });
      if (failed) break;
      if (!once || pass === 1) env = after;
    }
    if ([...results.values()].some((r) => r.failed)) break;
  }
  for (const block of plan) {
    const where = `${readme}:${block.line} ${block.lang}`;
    if (block.how === 'not-run') {
      counts.notRun++;
      console.log(`not run  ${where}: ${block.marker.reason}`);
    } else if (block.how === 'data') {
      counts.data++;
      console.log(`data     ${where} (output or configuration, not a program)`);
    } else if (!results.has(block)) {
      counts.failed++;
      console.log(`FAIL     ${where}: not reached, an earlier block of this README failed`);
    } else if (results.get(block).failed) {
      const { pass, result, leak } = results.get(block);
      counts.failed++;
      const why = leak
        ? 'printed key material'
        : result.timedOut
          ? 'did not finish within its deadline'
          : `exit ${result.code ?? result.signal}`;
      console.log(`FAIL     ${where}: run ${pass} of 2 ${why}`);
      if (!leak) console.log(`${tail(result.stdout + result.stderr).replace(/^/gm, '         | ')}`);
    } else {
      counts.ran++;
      if (block.lang === 'ts' || block.lang === 'typescript') typed.push({ readme, ...block });
      const note = block.how.startsWith('once-')
        ? ` (second run in a fresh directory: ${block.marker.reason})`
        : '';
      console.log(`ok       ${where}: ran twice${note}`);
    }
  }
}
const typeProblems = await typecheckBlocks(newDirectory(), typed);
for (const problem of typeProblems) console.log(`FAIL     type check: ${problem}`);
if (typeProblems.length) counts.failed++;
else console.log(`ok       type check of the ${typed.length} TypeScript blocks that ran`);
rmSync(work, { recursive: true, force: true });
console.log(
  `readme-check: ${counts.ran} blocks ran twice, ${counts.notRun} marked not-run, ${counts.data} data blocks, ${counts.failed} failed`,
);
process.exit(counts.failed ? 1 : 0);
