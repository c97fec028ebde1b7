// The Python Phlow's own code path for the encrypted file, run by real Python with the `cryptography` package
// (from the moto virtualenv that tooling/services/moto/install.sh installs and caches): what Python agents
// sharing a key file read and write.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll } from 'vitest';

const run = promisify(execFile);

/**
 * What the Python Phlow's EncryptedFileKeyStore did with PHLOW_MASTER_KEY and the key file: `read` decrypts
 * the whole file and looks each id up the way it did (`keys.get(key_id, {}).get("private_key")`); `store`
 * loads the map, replaces one entry with just the two PEM fields and writes the whole token back.
 */
const PYTHON_PHLOW = `
import base64, hashlib, json, os, sys
from cryptography.fernet import Fernet

def fernet_for(master_key):
    try:
        return Fernet(master_key.encode())
    except Exception:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(master_key.encode()).digest()))

f = fernet_for(os.environ["PHLOW_MASTER_KEY"])
command, path = sys.argv[1], sys.argv[2]
if command == "read":
    with open(path, "rb") as fh:
        token = fh.read()
    keys = json.loads(f.decrypt(token).decode())
    pairs = {
        key_id: {
            "private_key": keys.get(key_id, {}).get("private_key"),
            "public_key": keys.get(key_id, {}).get("public_key"),
        }
        for key_id in keys
    }
    print(json.dumps({"keys": pairs, "timestamp": f.extract_timestamp(token)}))
elif command == "store":
    keys = {}
    if os.path.exists(path):
        with open(path, "rb") as fh:
            keys = json.loads(f.decrypt(fh.read()).decode())
    keys[sys.argv[3]] = {"private_key": sys.argv[4], "public_key": sys.argv[5]}
    with open(path, "wb") as fh:
        fh.write(f.encrypt(json.dumps(keys).encode()))
`;

let python = '';

/** Finds (installing if needed) the Python with `cryptography`; call once at the top of a test file. */
export function usePython(): void {
  beforeAll(async () => {
    const install = join(import.meta.dirname, '..', '..', '..', 'tooling', 'services', 'moto', 'install.sh');
    try {
      const { stdout } = await run('bash', [install], { maxBuffer: 16 * 1024 * 1024 });
      python = join(stdout.trim().split('\n').pop()!, 'bin', 'python');
      await run(python, ['-c', 'import cryptography.fernet']);
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(
        `these tests need Python with the cryptography package, from the moto virtualenv that ${install} installs; it failed: ${stderr?.trim() || message}`,
      );
    }
  }, 20 * 60_000);
}

/** Runs Python code with the given arguments and environment additions; returns stdout. */
export async function runPython(code: string, args: string[], env: Record<string, string> = {}) {
  const { stdout } = await run(python, ['-c', code, ...args], { env: { ...process.env, ...env } });
  return stdout;
}

export interface PythonRead {
  keys: Record<string, { private_key: string | null; public_key: string | null }>;
  timestamp: number;
}

export async function pythonRead(path: string, masterKey: string): Promise<PythonRead> {
  const { stdout } = await run(python, ['-c', PYTHON_PHLOW, 'read', path], {
    env: { ...process.env, PHLOW_MASTER_KEY: masterKey },
  });
  return JSON.parse(stdout) as PythonRead;
}

export async function pythonStore(
  path: string,
  masterKey: string,
  id: string,
  privateKey: string,
  publicKey: string,
) {
  await run(python, ['-c', PYTHON_PHLOW, 'store', path, id, privateKey, publicKey], {
    env: { ...process.env, PHLOW_MASTER_KEY: masterKey },
  });
}
