/**
 * What is the PKCS#11 store's own, on a real SoftHSM2 token: the keys are sensitive and non-extractable
 * (the token itself refuses CKA_VALUE, and the store's refusals say so), settings errors (module, token, PIN,
 * PIN file) and stores sharing one module in a process. The signer contract (create, sign, rotate, retire,
 * KeyManager's staged rotation and grace, no private key anywhere) is the testkit's signer group, run on
 * this token by conformance.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, describe, expect, it } from 'vitest';
import provider from '../src/index.js';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const message = new TextEncoder().encode('hello from an agent');

describe('pkcs11 store on SoftHSM2', () => {
  const store = createTestStore();
  afterAll(() => store.close());

  it('the private key is sensitive and non-extractable: the token refuses CKA_VALUE, the store says so', async () => {
    const keyId = uid('value');
    await store.createKey(keyId);
    const env = tokenEnv();
    const p = new pkcs11js.PKCS11();
    p.load(env.PHLOW_PKCS11_MODULE!);
    try {
      p.C_Initialize();
    } catch {
      // already initialised by the store in this process
    }
    const slot = p
      .C_GetSlotList(true)
      .find((s) => p.C_GetTokenInfo(s).label.trim() === env.PHLOW_PKCS11_TOKEN)!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: keyId },
    ]);
    const [handle] = p.C_FindObjects(session, 10);
    p.C_FindObjectsFinal(session);
    expect(handle, 'the private object exists').toBeDefined();
    const [sensitive, extractable] = p.C_GetAttributeValue(session, handle!, [
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
    ]);
    expect((sensitive!.value as Buffer)[0]).toBe(1);
    expect((extractable!.value as Buffer)[0]).toBe(0);
    expect(() => p.C_GetAttributeValue(session, handle!, [{ type: pkcs11js.CKA_VALUE }])).toThrow(
      /CKR_ATTRIBUTE_SENSITIVE/,
    );
    p.C_CloseSession(session);
    const refused = await store.getPrivateKey(keyId).catch((e: Error) => e.message);
    expect(refused).toMatch(/never leaves the PKCS#11 token \(it is sensitive and non-extractable/);
    const noPair = await store.storeKeyPair(keyId, 'x', 'y').catch((e: Error) => e.message);
    expect(noPair).toMatch(/generates its keys inside the token and takes no key material/);
    await store.deleteKeyPair(keyId);
  });

  it('two stores on one module in one process: closing one leaves the other working', async () => {
    const keyId = uid('two');
    const other = createTestStore();
    await other.createKey(keyId);
    await other.close();
    expect((await store.sign(keyId, message)).length).toBe(64);
    await store.deleteKeyPair(keyId);
  });

  it('settings errors are INVALID_CONFIG or ACCESS_DENIED and name what to fix, never the PIN', async () => {
    const env = tokenEnv();
    const failure = async (extra: Record<string, string | undefined>) =>
      provider.create({ env: { ...env, ...extra } }).then(
        (s) => {
          void s.close();
          return undefined;
        },
        (e: unknown) => e as Error & { code?: string },
      );
    expect((await failure({ PHLOW_PKCS11_MODULE: undefined }))?.message).toMatch(/PHLOW_PKCS11_MODULE/);
    expect((await failure({ PHLOW_PKCS11_MODULE: 'libsofthsm2.so' }))?.message).toMatch(/absolute path/);
    expect((await failure({ PHLOW_PKCS11_MODULE: '/nonexistent/lib.so' }))?.code).toBe('INVALID_CONFIG');
    const unknown = await failure({ PHLOW_PKCS11_TOKEN: 'no-such-token' });
    expect(unknown?.code).toBe('INVALID_CONFIG');
    expect(unknown?.message).toContain(JSON.stringify(env.PHLOW_PKCS11_TOKEN));
    const dir = mkdtempSync(join(tmpdir(), 'phlow-pin-'));
    writeFileSync(join(dir, 'wrong'), 'wrong-pin-123456\n');
    const wrong = await failure({ PHLOW_PKCS11_PIN_FILE: join(dir, 'wrong') });
    expect(wrong?.code).toBe('ACCESS_DENIED');
    expect(`${wrong?.message}${wrong?.stack}${JSON.stringify(wrong)}`).not.toContain('wrong-pin-123456');
    expect(wrong?.message).toContain(`PHLOW_PKCS11_PIN_FILE (${join(dir, 'wrong')})`);
    // A wrong PIN from PHLOW_PKCS11_PIN (which wins over the file) names that variable, not the file.
    const fromVariable = await failure({ PHLOW_PKCS11_PIN: 'wrong-pin-654321' });
    expect(fromVariable?.code).toBe('ACCESS_DENIED');
    expect(fromVariable?.message).toContain('check PHLOW_PKCS11_PIN');
    expect(fromVariable?.message).not.toContain('PHLOW_PKCS11_PIN_FILE');
    expect(`${fromVariable?.message}${fromVariable?.stack}`).not.toContain('wrong-pin-654321');
    // This process is logged in already (the token answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN):
    // the token's own refusal, CKR_PIN_INCORRECT, is seen by a fresh process.
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createPkcs11KeyStore } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
         const store = createPkcs11KeyStore({ env: process.env });
         try { await store.getPublicKey('nobody'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
         await store.close().catch(() => {});`,
      ],
      { env: { ...process.env, ...env, PHLOW_PKCS11_PIN: 'wrong-pin-654321' }, encoding: 'utf8' },
    );
    const refused = JSON.parse(child.stdout || '{}');
    expect(refused.code, child.stderr).toBe('ACCESS_DENIED');
    expect(refused.message).toContain('CKR_PIN_INCORRECT');
    expect(refused.message).toContain('check PHLOW_PKCS11_PIN (');
    expect(refused.message).not.toContain('PHLOW_PKCS11_PIN_FILE');
    writeFileSync(join(dir, 'big'), 'x'.repeat(10_000));
    expect((await failure({ PHLOW_PKCS11_PIN_FILE: join(dir, 'big') }))?.message).toMatch(
      /larger than a PIN/,
    );
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect((await failure({ PHLOW_PKCS11_PIN_FILE: join(dir, 'fifo') }))?.message).toMatch(
      /not a regular file/,
    );
    expect((await failure({ PHLOW_PKCS11_PIN_FILE: '/dev/zero' }))?.message).toMatch(/not a regular file/);
    // The PIN itself where the path of a file holding it was expected: the error names the variable only.
    const pinAsPath = await failure({ PHLOW_PKCS11_PIN_FILE: '/864209-pin-not-a-path' });
    expect(pinAsPath?.code).toBe('INVALID_CONFIG');
    expect(pinAsPath?.message).toContain('PHLOW_PKCS11_PIN_FILE');
    expect(`${pinAsPath?.message}${pinAsPath?.stack}${JSON.stringify(pinAsPath)}`).not.toContain('864209');
    for (const retries of ['-5', 'three', '11']) {
      const bad = await failure({ PHLOW_PKCS11_OPEN_RETRIES: retries });
      expect(bad?.code).toBe('INVALID_CONFIG');
      expect(bad?.message).toContain('PHLOW_PKCS11_OPEN_RETRIES');
    }
    expect(
      await failure({ PHLOW_PKCS11_OPEN_RETRIES: '0' }),
      'no retries is a valid setting',
    ).toBeUndefined();
  });
});
