/**
 * Creating the files only the owner may read: the `.phlow/` directory (0700) and master key files (0600).
 * Modes are set with chmod after creation because the mode given to open() and mkdir() is filtered by the
 * umask. Files are created with O_EXCL (`wx`), so an existing master key is never overwritten, even by a race.
 */
import { chmod, mkdir, open } from 'node:fs/promises';

export async function ensurePrivateDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** Writes `text` to a new file, mode 0600. EEXIST if the file exists. */
export async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
