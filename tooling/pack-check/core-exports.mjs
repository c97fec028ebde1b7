#!/usr/bin/env node
/**
 * What each minor of @phlow/keys-core exports, and what a package's built files import from it: the two halves
 * of pack-check's peer-floor check (a package whose peer range starts at core X.Y.Z may import only names that
 * core X.Y.Z exports). Names come from TypeScript's own view of the declaration files (values and types alike),
 * so `export *` chains and renamed exports count as a user's compiler sees them.
 *
 * Released cores are recorded in core-exports.json (a released version never changes); the core about to be
 * released is read from the built workspace package instead. After a core release, record it:
 *   node tooling/pack-check/core-exports.mjs record <version>   (from packages/keys-core/dist, built)
 *   node tooling/pack-check/core-exports.mjs record <version> <git commit>   (from that commit's src)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const CORE = join(ROOT, 'packages', 'keys-core');
const RECORD = join(import.meta.dirname, 'core-exports.json');
export const CORE_NAME = '@phlow/keys-core';

/** `{ subpath: sorted names }` for entry files (`.ts` or `.d.ts`) by subpath. */
export function exportsOfEntries(entries) {
  const program = ts.createProgram(Object.values(entries), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  return Object.fromEntries(
    Object.entries(entries).map(([subpath, file]) => {
      const source = program.getSourceFile(file);
      const symbol = source && checker.getSymbolAtLocation(source);
      if (!symbol) throw new Error(`core-exports: cannot read the exports of ${file}`);
      return [
        subpath,
        checker
          .getExportsOfModule(symbol)
          .map((s) => s.name)
          .sort(),
      ];
    }),
  );
}

/** The exports of the built workspace core (`packages/keys-core/dist`), by subpath of its `exports` map. */
export function builtCoreExports() {
  const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8'));
  const entries = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const types = target?.import?.types ?? target?.types;
    if (types) entries[subpath] = join(CORE, types);
  }
  return exportsOfEntries(entries);
}

/** The recorded exports of released cores: `{ version: { subpath: names } }`. */
export const recordedCoreExports = () => JSON.parse(readFileSync(RECORD, 'utf8')).versions;

/**
 * Every name a package's files import from core, by subpath: `import { a, type B }`, `export { c } from`,
 * and `import("@phlow/keys-core").D` in declarations. A namespace import or a dynamic `import()` of core in
 * JavaScript cannot be checked by name and is reported under `unchecked`.
 * @param {{ path: string, text: string }[]} files the `.js`, `.d.ts` and `.d.cts` files of a package
 */
export function coreImports(files) {
  const names = {};
  const unchecked = [];
  const add = (specifier, name) => {
    const subpath = specifier === CORE_NAME ? '.' : `.${specifier.slice(CORE_NAME.length)}`;
    names[subpath] ??= new Set();
    names[subpath].add(name);
  };
  const isCore = (node) =>
    node && ts.isStringLiteral(node) && (node.text === CORE_NAME || node.text.startsWith(`${CORE_NAME}/`));
  for (const { path, text } of files) {
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && isCore(node.moduleSpecifier)) {
        const clause = node.importClause;
        if (clause?.name) add(node.moduleSpecifier.text, 'default');
        const bindings = clause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements)
            add(node.moduleSpecifier.text, (el.propertyName ?? el.name).text);
        } else if (bindings) {
          // `import * as ns` (how bundled declarations refer to core): the names are the `ns.Name` uses.
          const local = bindings.name.text;
          const escaped = local.replace(/[$]/g, '\\$&');
          const uses = [...text.matchAll(new RegExp(`(?<![\\w$])${escaped}\\.([A-Za-z_$][\\w$]*)`, 'g'))];
          for (const [, name] of uses) add(node.moduleSpecifier.text, name);
          const bare = text.match(new RegExp(`(?<![\\w$])${escaped}(?![\\w$.])`, 'g')) ?? [];
          // Its one bare use is the import itself; any other use passes the whole namespace on.
          if (bare.length > 1)
            unchecked.push(`${path}: the namespace of ${node.moduleSpecifier.text} used whole`);
        }
      } else if (ts.isExportDeclaration(node) && isCore(node.moduleSpecifier)) {
        if (node.exportClause && ts.isNamedExports(node.exportClause)) {
          for (const el of node.exportClause.elements)
            add(node.moduleSpecifier.text, (el.propertyName ?? el.name).text);
        } else unchecked.push(`${path}: export * from ${node.moduleSpecifier.text}`);
      } else if (ts.isImportTypeNode(node) && isCore(node.argument?.literal)) {
        const first =
          node.qualifier && (ts.isIdentifier(node.qualifier) ? node.qualifier : node.qualifier.left);
        if (first && ts.isIdentifier(first)) add(node.argument.literal.text, first.text);
        else unchecked.push(`${path}: import(${node.argument.literal.text}) as a whole`);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        isCore(node.arguments[0])
      ) {
        unchecked.push(`${path}: dynamic import(${node.arguments[0].text})`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return {
    names: Object.fromEntries(Object.entries(names).map(([k, v]) => [k, [...v].sort()])),
    unchecked,
  };
}

/** The lowest version a range accepts, for the plain ranges we publish (`^1.2.3`, `~1.2.3`, `>=1.2.3`, `1.2.3`). */
export function floorOf(range) {
  const m = /^(?:\^|~|>=)?\s*(\d+)\.(\d+)\.(\d+)$/.exec(String(range).trim());
  return m ? `${m[1]}.${m[2]}.${m[3]}` : null;
}

function record(version, commit) {
  let exportsByPath;
  if (commit) {
    const dir = mkdtempSync(join(tmpdir(), 'phlow-core-exports-'));
    try {
      const tar = execFileSync('git', ['archive', commit, 'packages/keys-core'], {
        cwd: ROOT,
        maxBuffer: 64 << 20,
      });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
      const core = join(dir, 'packages', 'keys-core');
      const manifest = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8'));
      const entries = {};
      for (const subpath of Object.keys(manifest.exports)) {
        if (subpath === './package.json') continue;
        const name = subpath === '.' ? 'index' : `${subpath.slice(2)}/index`;
        const file = join(core, 'src', `${name}.ts`);
        readdirSync(join(file, '..')); // fails clearly when the layout differs
        entries[subpath] = file;
      }
      exportsByPath = exportsOfEntries(entries);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else exportsByPath = builtCoreExports();
  const data = JSON.parse(readFileSync(RECORD, 'utf8'));
  data.versions[version] = exportsByPath;
  if (commit) data.sources[version] = `src at commit ${commit}`;
  else data.sources[version] = 'built dist at release';
  writeFileSync(RECORD, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`core-exports: recorded ${version}: ${Object.values(exportsByPath).flat().length} names`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, version, commit] = process.argv.slice(2);
  if (command !== 'record' || !version) {
    console.error('usage: node tooling/pack-check/core-exports.mjs record <version> [git commit]');
    process.exit(2);
  }
  record(version, commit);
}
