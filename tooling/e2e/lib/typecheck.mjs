/**
 * Type-checks README TypeScript blocks with the workspace's TypeScript and shared compiler settings, against
 * the published types of the built packages, so that a snippet that still runs but calls an API with the wrong
 * shape is caught too. One file per block; returns tsc's diagnostics, mapped back to README lines.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.mjs';
import { ROOT } from './workspace.mjs';

/**
 * @param {string} dir a directory from which the published packages resolve (see readme-check's newDirectory)
 * @param {{ readme: string, line: number, code: string }[]} blocks
 * @returns {Promise<string[]>} one line per problem, empty when all blocks type-check
 */
export async function typecheckBlocks(dir, blocks) {
  if (blocks.length === 0) return [];
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const names = new Map();
  blocks.forEach((block, i) => {
    const file = `block-${i}.ts`;
    names.set(file, `${block.readme}:${block.line}`);
    writeFileSync(join(dir, file), block.code);
  });
  const tsconfig = {
    extends: join(ROOT, 'tooling', 'tsconfig', 'base.json'),
    compilerOptions: { noEmit: true, declaration: false },
    files: [...names.keys()],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const result = await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.', '--pretty', 'false'], {
    cwd: dir,
    env: { PATH: process.env.PATH },
  });
  if (result.code === 0) return [];
  const lines = (result.stdout + result.stderr).trim().split('\n');
  // "block-3.ts(4,7): error TS2345: ..." -> "README.md:57 (+4): error TS2345: ..."
  return lines.map((l) =>
    l.replace(/^(block-\d+\.ts)\((\d+),\d+\)/, (_, f, row) => `${names.get(f)} (block line ${row})`),
  );
}
