/**
 * The two refusals every signer store makes (contract 1.1, see KeyStoreCapabilities.signer): `getPrivateKey`
 * and `storeKeyPair` are UNSUPPORTED, because the private key never leaves the backend and no key material
 * goes in. One sentence shape for every adapter, so each says the same next step (KeyManager, the CLI); the
 * adapter supplies only what is its backend's, which is what makes the message useful.
 */
import { KeyStoreError } from './errors.js';
import { assertValidKeyId } from './key-id.js';

/** What only the adapter can say about its backend. */
export interface SignerRefusalWording {
  /** Where the private key stays, after "never leaves": `the PKCS#11 token`, `Vault Transit`. */
  readonly keptIn: string;
  /** Why it cannot come out, in parentheses after that: `KMS keys cannot be exported; it signs inside KMS`. */
  readonly because: string;
  /** Why `storeKeyPair` takes nothing: `Vault Transit creates its keys itself and this store sends it no key material`. */
  readonly noKeyMaterial: string;
}

/** `getPrivateKey` and `storeKeyPair` of a signer store: both check the id, then throw UNSUPPORTED. */
export interface SignerRefusals {
  getPrivateKey(keyId: string): Promise<never>;
  storeKeyPair(keyId: string): Promise<never>;
}

/** The refusals of a store of type `storeType`, worded with its backend's `wording`; spread them into the store. */
export function signerRefusals(storeType: string, wording: SignerRefusalWording): SignerRefusals {
  const refuse = (keyId: string, message: string) =>
    new KeyStoreError('UNSUPPORTED', message, { storeType, keyId });
  return {
    async getPrivateKey(keyId) {
      assertValidKeyId(keyId, storeType);
      throw refuse(
        keyId,
        `the private key of "${keyId}" never leaves ${wording.keptIn} (${wording.because}): sign with KeyManager.sign or \`phlow-keys sign ${keyId}\`; read the public key with getPublicKey`,
      );
    },
    async storeKeyPair(keyId) {
      assertValidKeyId(keyId, storeType);
      throw refuse(
        keyId,
        `${wording.noKeyMaterial}: create "${keyId}" with KeyManager.createKey or \`phlow-keys generate ${keyId}\``,
      );
    },
  };
}
