// pnpm bench: what the encrypted file store costs at fleet size, each row beside a named alternative measured
// in the same run (issue 22, item 1):
//  1. a cached getKeyPair (same store, file unchanged) at 50 / 1,000 / 10,000 / 50,000 keys, against the same
//     call at 50 keys (goal: 50,000 within 2x);
//  2. opening the file (a new store's first getKeyPair: read, check, decrypt, parse), and a burst of 100
//     reads of different ids on a new store, against readFile + JSON.parse of the same JSON (goal: within 2x);
//  3. KeyManager.rotateKeyPair and a bare storeKeyPair, against a durable write of the same JSON with
//     JSON.stringify, temp file, fsync, rename (goal: within 2x);
//  4. the one-time KDF cost (Node's native scrypt against @noble/hashes').
// Figures are CPU time per operation (process.cpuUsage: this thread and the libuv pool, so fsync waits do not
// count but the work of fs and crypto threads does), median over samples, best of interleaved rounds so
// every row meets the same load on a shared machine; wall-clock medians are printed beside them.
// PHLOW_BENCH_FILE_KEYS sets the largest size (default 50000; 10000 for a quick run), PHLOW_BENCH_ROUNDS the
// rounds (default 3). Imports the built package: `turbo run bench` builds it first.
import { createCipheriv, createHmac, generateKeyPairSync, randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { formatNs, printTarget } from '@phlow/bench';
import { KeyManager } from '@phlow/keys-core';
import { createFileKeyStore, generateMasterKey } from '@phlow/keystore-file';

const LARGEST = Number(process.env.PHLOW_BENCH_FILE_KEYS ?? 50_000);
const ROUNDS = Number(process.env.PHLOW_BENCH_ROUNDS ?? 3);
if (!(Number.isInteger(LARGEST) && LARGEST >= 50 && LARGEST <= 200_000)) {
  throw new Error('PHLOW_BENCH_FILE_KEYS must be an integer from 50 to 200000');
}
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) {
  throw new Error('PHLOW_BENCH_ROUNDS must be an integer from 1 to 20');
}
const SIZES = [...new Set([50, 1_000, 10_000, 50_000, LARGEST].filter((n) => n <= LARGEST))].sort(
  (a, b) => a - b,
);

const dir = mkdtempSync(join(tmpdir(), 'phlow-file-bench-'));
const masterKey = generateMasterKey();

// 1,000 distinct real Ed25519 pairs, used in turn for larger files: the cost depends on the bytes, not on
// whether two entries hold the same key, and generating 50,000 pairs would take longer than the bench.
const distinct = Array.from({ length: 1_000 }, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    public_key: publicKey.export({ type: 'spki', format: 'pem' }),
  };
});

/** `count` entries in the store's own payload layout, so the JSON anchor holds exactly the same data. */
function payload(count) {
  const created = new Date(Date.now() - 60_000).toISOString();
  const map = {};
  for (let i = 0; i < count; i++) {
    map[`agent-${i}`] = { ...distinct[i % distinct.length], version: '1', created_at: created, previous: [] };
  }
  return map;
}

/** A plain JSON file written the way the safe store writes: temp file, fsync, rename. */
async function writeJsonDurably(path, data) {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(data));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/**
 * Times `fn` in CPU and wall time: `samples` samples of `batch` calls, after `warmup` calls.
 * @returns {{ name: string, cpuNs: number, wallNs: number }}
 */
async function timeCpu(name, fn, { samples, batch = 1, warmup = 2 }) {
  for (let i = 0; i < warmup; i++) await fn();
  const cpu = [];
  const wall = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await fn();
    const used = process.cpuUsage(c0);
    wall.push(Number(process.hrtime.bigint() - t0) / batch);
    cpu.push(((used.user + used.system) * 1000) / batch);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { name, cpuNs: median(cpu), wallNs: median(wall) };
}

/** Each case measured once per round, in turn; a row keeps its best round (lowest CPU median). */
async function rounds(cases) {
  const best = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn, options] of cases) {
      const row = await timeCpu(name, fn, options);
      if (!best.has(name) || row.cpuNs < best.get(name).cpuNs) best.set(name, row);
    }
  }
  return cases.map(([name]) => best.get(name));
}

/** Prints rows beside their anchor (the row named `anchor`), with the ratios. */
function printRows(title, rows, anchor) {
  const base = rows.find((r) => r.name === anchor);
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      case: r.name,
      'CPU median': formatNs(r.cpuNs),
      'vs anchor (CPU)': `${(r.cpuNs / base.cpuNs).toFixed(2)}x`,
      'wall median': formatNs(r.wallNs),
      'vs anchor (wall)': `${(r.wallNs / base.wallNs).toFixed(2)}x`,
    })),
  );
}

const kib = (path) => {
  const bytes = statSync(path).size;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
};

try {
  // 1. Cached reads at every size.
  const stores = [];
  for (const count of SIZES) {
    const path = join(dir, `keys-${count}.enc`);
    await seed(path, payload(count));
    const store = createFileKeyStore({ path, masterKey, env: {} });
    await store.getKeyPair('agent-1');
    stores.push({ count, path, store });
  }
  const cachedRows = await rounds(
    stores.map(({ count, store }) => [
      `cached getKeyPair, ${count.toLocaleString('en-US')} keys`,
      () => store.getKeyPair('agent-1'),
      { samples: 40, batch: 10 },
    ]),
  );
  printRows(
    `1. Cached getKeyPair (same store, file unchanged) by file size (${stores.map((s) => kib(s.path)).join(' / ')})`,
    cachedRows,
    cachedRows[0].name,
  );
  const cachedRatio = cachedRows.at(-1).cpuNs / cachedRows[0].cpuNs;

  // 2 and 3 at the largest size.
  const { count, path } = stores.at(-1);
  const n = count.toLocaleString('en-US');
  const data = payload(count);
  const jsonPath = join(dir, `keys-${count}.json`);
  await writeFile(jsonPath, JSON.stringify(data));
  const samples = count >= 10_000 ? 5 : 20;

  const openRows = await rounds([
    [
      `readFile + JSON.parse of the same JSON (${kib(jsonPath)})`,
      async () => JSON.parse(await readFile(jsonPath, 'utf8')),
      { samples },
    ],
    [
      `open: new store, first getKeyPair (${kib(path)})`,
      () => createFileKeyStore({ path, masterKey, env: {} }).getKeyPair('agent-1'),
      { samples },
    ],
    [
      'open: new store, 100 concurrent getKeyPair of different ids',
      () => {
        const cold = createFileKeyStore({ path, masterKey, env: {} });
        return Promise.all(Array.from({ length: 100 }, (_, i) => cold.getKeyPair(`agent-${i}`)));
      },
      { samples },
    ],
  ]);
  printRows(`2. Opening a file of ${n} keys (raw 32-byte key)`, openRows, openRows[0].name);
  const openRatio = openRows[1].cpuNs / openRows[0].cpuNs;

  const store = createFileKeyStore({ path, masterKey, env: {} });
  const manager = new KeyManager({ store, env: {} });
  let next = 0;
  // Each rotation or store goes to another id, so no id reaches maxVersions within the retention.
  const nextId = () => `agent-${next++ % count}`;
  const { private_key: privateKey, public_key: publicKey } = distinct[0];
  const writeRows = await rounds([
    [
      'durable JSON write of the same data (stringify, temp, fsync, rename)',
      () => writeJsonDurably(jsonPath, data),
      { samples },
    ],
    ['KeyManager.rotateKeyPair', () => manager.rotateKeyPair(nextId()), { samples }],
    [
      'storeKeyPair (lock, re-read, seal, fsync, rename)',
      () => store.storeKeyPair(nextId(), privateKey, publicKey),
      { samples },
    ],
  ]);
  printRows(`3. Writing a file of ${n} keys (raw key, file ${kib(path)})`, writeRows, writeRows[0].name);
  const rotateRatio = writeRows[1].cpuNs / writeRows[0].cpuNs;

  // 4. The one-time KDF cost.
  const N = 2 ** 17;
  const passPath = join(dir, 'passphrase.enc');
  await createFileKeyStore({ path: passPath, masterKey: 'a passphrase', env: {} }).storeKeyPair(
    'a',
    'p',
    'q',
  );
  const kdfRows = [
    await timeCpu(
      'node:crypto scrypt N=2^17 r=8 p=1 (thread pool)',
      () =>
        new Promise((resolve, reject) =>
          scrypt('passphrase', 'salt-salt-salt!!', 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (e, k) =>
            e ? reject(e) : resolve(k),
          ),
        ),
      { samples: 5, warmup: 1 },
    ),
    await timeCpu(
      '@noble/hashes scryptAsync N=2^17 r=8 p=1 (main thread)',
      () => scryptAsync('passphrase', 'salt-salt-salt!!', { N, r: 8, p: 1, dkLen: 32 }),
      { samples: 5, warmup: 1 },
    ),
    await timeCpu(
      'open a passphrase file (new store: KDF + decrypt)',
      () => createFileKeyStore({ path: passPath, masterKey: 'a passphrase', env: {} }).getPrivateKey('a'),
      { samples: 5, warmup: 1 },
    ),
  ];
  printRows(
    '4. One-time KDF cost per process (passphrases only; raw keys skip it)',
    kdfRows,
    kdfRows[0].name,
  );

  console.log('');
  printTarget(
    `cached getKeyPair at ${n} keys within 2x of the same call at 50`,
    cachedRatio <= 2,
    `${cachedRatio.toFixed(2)}x (CPU)`,
  );
  printTarget(`open at ${n} keys within 2x of JSON.parse`, openRatio <= 2, `${openRatio.toFixed(2)}x (CPU)`);
  printTarget(
    `rotateKeyPair at ${n} keys within 2x of a durable JSON write`,
    rotateRatio <= 2,
    `${rotateRatio.toFixed(2)}x (CPU)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Fills a key file with `map` in one write. Storing 50,000 keys one by one rewrites the file 50,000 times, so
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
  await store.close();
  rmSync(`${path}.fernet.bak`, { force: true });
}
