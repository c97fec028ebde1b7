// Which master keys the Python Phlow used as a Fernet key as is: exactly those Python's `Fernet()` accepts,
// decided by python-base64.ts and checked here against Python's own cryptography package, on generated inputs
// and end to end through files both sides read and write.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileKeyStore } from '../src/index.js';
import { pythonFernetKey } from '../src/python-base64.js';
import { tempDir } from './helpers.js';
import { pythonRead, pythonStore, runPython, usePython } from './python.js';

usePython();

/** For each string in the JSON file: the hex of the key Python's Fernet() takes from it, or null. */
const PYTHON_FERNET_KEYS = `
import base64, json, sys
from cryptography.fernet import Fernet
out = []
for text in json.load(open(sys.argv[1], encoding="utf-8")):
    try:
        Fernet(text.encode())
        out.append(base64.urlsafe_b64decode(text.encode()).hex())
    except Exception:
        out.append(None)
print(json.dumps(out))
`;

/** A small seeded generator for the edits (the keys themselves are random; a failure prints its input). */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

function inputs(count: number): string[] {
  const { next, pick } = generator(20261130);
  const noise = [
    '=',
    '==',
    ' ',
    '#',
    '\n',
    '\t',
    '+',
    '/',
    '-',
    '_',
    'é',
    '€',
    '.',
    'A',
    'z',
    '0',
    '= # note',
    '===',
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = randomBytes(32).toString('base64url');
    let text = pick([key, `${key}=`, Buffer.from(randomBytes(32)).toString('base64'), key.slice(0, 40)]);
    const edits = Math.floor(next() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * (text.length + 1));
      const what = next() < 0.8 ? pick(noise) : '';
      text =
        next() < 0.7 ? text.slice(0, at) + what + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
    }
    out.push(text);
  }
  return out;
}

describe('master keys the Python Phlow used as a Fernet key', () => {
  it('are exactly those Python accepts, on 3,000 generated inputs (padding, trailing text, noise)', async () => {
    const texts = [
      ...inputs(3000),
      `${randomBytes(32).toString('base64url')}= # a note`,
      `${randomBytes(32).toString('base64url')}=trailing`,
      ` ${randomBytes(32).toString('base64url')}=\n`,
      randomBytes(32).toString('base64url'),
      '',
      'correct horse battery staple',
    ];
    const file = join(tempDir(), 'inputs.json');
    writeFileSync(file, JSON.stringify(texts));
    const python = JSON.parse(await runPython(PYTHON_FERNET_KEYS, [file])) as (string | null)[];
    const ours = texts.map((text) => {
      const key = pythonFernetKey(text);
      return key ? Buffer.from(key).toString('hex') : null;
    });
    const differences = texts.filter((_, i) => ours[i] !== python[i]).map((t) => JSON.stringify(t));
    expect(differences).toEqual([]);
    // Both outcomes are well represented, or the comparison would prove little.
    expect(python.filter((k) => k !== null).length).toBeGreaterThan(300);
    expect(python.filter((k) => k === null).length).toBeGreaterThan(300);
  });

  it('"<key> # note": a file Python wrote opens, and a file we write in fernet format is read by Python', async () => {
    const masterKey = `${randomBytes(32).toString('base64url')}= # rotated in March`;
    const dir = tempDir();
    const path = join(dir, 'keys.enc');
    await pythonStore(path, masterKey, 'py-agent', 'PRIVATE py', 'PUBLIC py');
    const store = createFileKeyStore({ path, masterKey, format: 'fernet', env: {} });
    expect(await store.getPrivateKey('py-agent')).toBe('PRIVATE py');
    await store.storeKeyPair('ts-agent', 'PRIVATE ts', 'PUBLIC ts');
    expect((await pythonRead(path, masterKey)).keys).toEqual({
      'py-agent': { private_key: 'PRIVATE py', public_key: 'PUBLIC py' },
      'ts-agent': { private_key: 'PRIVATE ts', public_key: 'PUBLIC ts' },
    });
    // The same key without the note is the same Fernet key, as in Python.
    const bare = masterKey.slice(0, masterKey.indexOf(' '));
    expect((await pythonRead(path, bare)).keys['ts-agent']?.private_key).toBe('PRIVATE ts');
  });
});
