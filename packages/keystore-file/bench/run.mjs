// pnpm bench: what the encrypted file store costs next to a plain JSON file holding the same keys, in the
// same run. Opens (a new store's first read: read, check, decrypt, parse), cached reads, single stores with
// 10, 1,000 and 10,000 keys, and the one-time KDF cost (Node's native scrypt against @noble/hashes').
// Imports the built package: `turbo run bench` builds it first.
import { createCipheriv, createHmac, generateKeyPairSync, randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { measure, printTable, printTarget } from '@phlow/bench';
import { createFileKeyStore, generateMasterKey } from '@phlow/keystore-file';

const dir = mkdtempSync(join(tmpdir(), 'phlow-file-bench-'));
const masterKey = generateMasterKey();

function pairs(count) {
  const map = {};
  for (let i = 0; i < count; i++) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    map[`agent-${i}`] = {
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      public_key: publicKey.export({ type: 'spki', format: 'pem' }),
    };
  }
  return map;
}

/** A plain JSON file written the way the safe store writes: temp file, fsync, rename. */
async function writeJsonDurably(path, data) {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  await handle.writeFile(JSON.stringify(data));
  await handle.sync();
  await handle.close();
  await rename(temp, path);
}

const samplesFor = (count) => (count >= 10_000 ? 10 : count >= 1_000 ? 30 : 100);
let open1000Ns = Number.NaN;

try {
  for (const count of [10, 1_000, 10_000]) {
    const map = pairs(count);
    const path = join(dir, `keys-${count}.enc`);
    const jsonPath = join(dir, `keys-${count}.json`);
    await writeFile(jsonPath, JSON.stringify(map));
    await seed(path, map);
    const size = (p) => `${(statSync(p).size / 1024).toFixed(0)} KiB`;
    const title = `${count.toLocaleString('en-US')} keys (file ${size(path)}, JSON ${size(jsonPath)}), raw 32-byte key`;
    const samples = samplesFor(count);
    const store = createFileKeyStore({ path, masterKey, env: {} });
    let n = 0;

    const rows = [
      await measure(
        'plain JSON: readFile + JSON.parse',
        async () => JSON.parse(await readFile(jsonPath, 'utf8')),
        {
          samples,
        },
      ),
      await measure(
        'encrypted: open + decrypt (new store, first read)',
        () => createFileKeyStore({ path, masterKey, env: {} }).getPrivateKey('agent-0'),
        { samples },
      ),
      await measure(
        'encrypted: cached read (same store, file unchanged)',
        () => store.getPrivateKey('agent-0'),
        {
          samples,
        },
      ),
      await measure(
        'plain JSON: writeFile (no fsync)',
        () => writeFile(jsonPath, JSON.stringify({ ...map, [`x-${n++}`]: map['agent-0'] })),
        { samples },
      ),
      await measure(
        'plain JSON: temp + fsync + rename',
        () => writeJsonDurably(jsonPath, { ...map, [`x-${n++}`]: map['agent-0'] }),
        { samples },
      ),
      await measure(
        'encrypted: storeKeyPair (lock, re-read, seal, fsync, rename)',
        () => store.storeKeyPair(`new-${n++}`, map['agent-0'].private_key, map['agent-0'].public_key),
        { samples },
      ),
    ];
    printTable(title, rows, { baseline: 'plain JSON: readFile + JSON.parse' });
    if (count === 1_000) open1000Ns = rows[1].medianNs;
  }

  const N = 2 ** 17;
  const kdfRows = [
    await measure(
      'node:crypto scrypt N=2^17 r=8 p=1 (thread pool)',
      () =>
        new Promise((resolve, reject) =>
          scrypt('passphrase', 'salt-salt-salt!!', 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (e, k) =>
            e ? reject(e) : resolve(k),
          ),
        ),
      { samples: 5, warmup: 1 },
    ),
    await measure(
      '@noble/hashes scryptAsync N=2^17 r=8 p=1 (main thread)',
      () => scryptAsync('passphrase', 'salt-salt-salt!!', { N, r: 8, p: 1, dkLen: 32 }),
      { samples: 5, warmup: 1 },
    ),
  ];
  const passPath = join(dir, 'passphrase.enc');
  await createFileKeyStore({ path: passPath, masterKey: 'a passphrase', env: {} }).storeKeyPair(
    'a',
    'p',
    'q',
  );
  kdfRows.push(
    await measure(
      'open a passphrase file (new store: KDF + decrypt)',
      () => createFileKeyStore({ path: passPath, masterKey: 'a passphrase', env: {} }).getPrivateKey('a'),
      { samples: 5, warmup: 1 },
    ),
  );
  printTable('One-time KDF cost per process (passphrases only; raw keys skip it)', kdfRows, {
    baseline: 'node:crypto scrypt N=2^17 r=8 p=1 (thread pool)',
  });

  printTarget(
    'open + decrypt 1,000 keys with a raw key',
    open1000Ns < 20e6,
    `median ${(open1000Ns / 1e6).toFixed(2)} ms, target < 20 ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Fills a key file with `map` in one write. Storing 10,000 keys one by one rewrites the file 10,000 times, so
 * the map is written as a Python Phlow Fernet token instead, which the store's first write migrates to its own
 * format: the file measured is exactly what the store writes.
 */
async function seed(path, map) {
  const key = Buffer.from(masterKey.slice('base64:'.length), 'base64');
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key.subarray(16), iv);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)));
  const body = Buffer.concat([
    Buffer.from([0x80]),
    time,
    iv,
    cipher.update(JSON.stringify(map)),
    cipher.final(),
  ]);
  const token = Buffer.concat([body, createHmac('sha256', key.subarray(0, 16)).update(body).digest()]);
  await writeFile(path, token.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'), { mode: 0o600 });
  const store = createFileKeyStore({ path, masterKey, env: {} });
  await store.storeKeyPair('agent-0', map['agent-0'].private_key, map['agent-0'].public_key);
  if ((await store.listKeyIds()).length !== Object.keys(map).length) throw new Error('seeding lost keys');
}
