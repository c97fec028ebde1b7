/**
 * The peer-floor check's two halves: what a package's built files import from core (named, namespace,
 * `import()` types, re-exports) and what each recorded core exports; a 1.1-only name against core 1.0.0 is
 * caught.
 */
import { describe, expect, it } from 'vitest';
import { coreImports, floorOf, recordedCoreExports } from '../core-exports.mjs';

describe('core-exports', () => {
  it('collects named, default, namespace and import() type uses of core by subpath', () => {
    const { names, unchecked } = coreImports([
      {
        path: 'a.js',
        text: "import { KeyManager, x as y } from '@phlow/keys-core';\nimport kit from '@phlow/keys-core/adapter';",
      },
      {
        path: 'b.d.ts',
        text: 'import * as core0 from "@phlow/keys-core";\ndeclare const p: core0.KeyStoreProvider;\nexport type S = import("@phlow/keys-core/adapter").BoundedMap<string, number>;\nexport { isKeyStoreError } from "@phlow/keys-core";',
      },
    ]);
    expect(names).toEqual({
      '.': ['KeyManager', 'KeyStoreProvider', 'isKeyStoreError', 'x'],
      './adapter': ['BoundedMap', 'default'],
    });
    expect(unchecked).toEqual([]);
  });

  it('reports what it cannot check by name', () => {
    const { unchecked } = coreImports([
      {
        path: 'c.js',
        text: "import * as core from '@phlow/keys-core';\nuse(core);\nawait import('@phlow/keys-core');\nexport * from '@phlow/keys-core/adapter';",
      },
    ]);
    expect(unchecked).toHaveLength(3);
  });

  it('knows core 1.0.0 had no adapter kit and no signer stores', () => {
    const v1 = recordedCoreExports()['1.0.0'];
    expect(v1['.']).toContain('KeyManager');
    expect(v1['.']).not.toContain('SignerKeyStore');
    expect(v1['./adapter']).toBeUndefined();
  });

  it('reads the floor of plain ranges only', () => {
    expect(floorOf('^1.1.0')).toBe('1.1.0');
    expect(floorOf('>=1.2.3')).toBe('1.2.3');
    expect(floorOf('^1.0.0 || ^2.0.0')).toBeNull();
  });
});
