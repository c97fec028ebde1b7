/**
 * The private key stays on the token whatever a process logged into it tries (issue 19 item 7), on a real
 * SoftHSM2 token: PKCS#11 makes CKA_SENSITIVE true and CKA_EXTRACTABLE false one-way, so setting them back, a
 * copy with the opposite values, and wrapping the key under a key of one's own are all refused; afterwards
 * the attributes are unchanged and the store still signs. (Any process with the PIN can use the key, as it
 * can sign with it; what it cannot do is take it away.)
 */
import pkcs11js from 'pkcs11js';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, tokenEnv, uid } from './helpers.js';

const message = new TextEncoder().encode('hello from an agent');
const TRUE = Buffer.from([1]);

describe('pkcs11: the private key cannot be made extractable', () => {
  const store = createTestStore();
  afterAll(() => store.close());

  it('set back, copied or wrapped: every attempt refused, attributes unchanged, the key still signs', async () => {
    const keyId = uid('custody');
    await store.createKey(keyId);
    const env = tokenEnv();
    const p = new pkcs11js.PKCS11();
    p.load(env.PHLOW_PKCS11_MODULE!);
    try {
      p.C_Initialize();
    } catch {
      // already initialised by the store in this process (which is logged in, as an attacker with the PIN is)
    }
    const slot = p
      .C_GetSlotList(true)
      .find((s) => p.C_GetTokenInfo(s).label.trim() === env.PHLOW_PKCS11_TOKEN)!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      p.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: keyId },
      ]);
      const [key] = p.C_FindObjects(session, 10);
      p.C_FindObjectsFinal(session);
      expect(key, 'the private object exists').toBeDefined();
      const wrapping = p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_WRAP, value: true },
      ]);

      const attempts: Record<string, () => unknown> = {
        'set CKA_EXTRACTABLE true': () =>
          p.C_SetAttributeValue(session, key!, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]),
        'set CKA_SENSITIVE false': () =>
          p.C_SetAttributeValue(session, key!, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]),
        'copy with CKA_EXTRACTABLE true': () =>
          p.C_CopyObject(session, key!, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]),
        'copy with CKA_SENSITIVE false': () =>
          p.C_CopyObject(session, key!, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]),
        'wrap (AES key wrap with padding)': () =>
          p.C_WrapKey(
            session,
            { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD },
            wrapping,
            key!,
            Buffer.alloc(4096),
          ),
        'read CKA_VALUE': () => p.C_GetAttributeValue(session, key!, [{ type: pkcs11js.CKA_VALUE }]),
      };
      const outcomes: Record<string, string> = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          attempt();
          outcomes[name] = 'allowed';
        } catch (error) {
          outcomes[name] = /CKR_[A-Z_]+/.exec(String(error))?.[0] ?? String(error);
        }
      }
      // Measured on SoftHSM2 2.6: the one-way attributes are read-only, wrapping is refused as unextractable.
      expect(outcomes).toEqual({
        'set CKA_EXTRACTABLE true': 'CKR_ATTRIBUTE_READ_ONLY',
        'set CKA_SENSITIVE false': 'CKR_ATTRIBUTE_READ_ONLY',
        'copy with CKA_EXTRACTABLE true': 'CKR_ATTRIBUTE_READ_ONLY',
        'copy with CKA_SENSITIVE false': 'CKR_ATTRIBUTE_READ_ONLY',
        'wrap (AES key wrap with padding)': 'CKR_KEY_UNEXTRACTABLE',
        'read CKA_VALUE': 'CKR_ATTRIBUTE_SENSITIVE',
      });

      const [sensitive, extractable, neverExtractable] = p.C_GetAttributeValue(session, key!, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
      ]);
      expect([sensitive!.value, extractable!.value, neverExtractable!.value]).toEqual([
        TRUE,
        Buffer.from([0]),
        TRUE,
      ]);
      // No copy of the key appeared under its label.
      p.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_LABEL, value: keyId },
      ]);
      expect(p.C_FindObjects(session, 10)).toHaveLength(1);
      p.C_FindObjectsFinal(session);
    } finally {
      p.C_CloseSession(session);
    }
    expect((await store.sign(keyId, message)).length).toBe(64);
    await store.deleteKeyPair(keyId);
  });
});
