/**
 * Warns, once per file, when a secret file (the key file, the master key file) is open to other users.
 *
 * Files this store writes are always 0600; this catches files made by hand, by `cp`, or by the Python Phlow,
 * which set the mode only after its first write.
 */
export type ModeWarner = (path: string, mode: number) => void;

/**
 * True when group or other users have any access to a file of this mode: what the warning below is about,
 * and what a caller refuses for a file about to become a master key file (`phlow-keys rekey`). Never on
 * Windows, whose modes are synthetic.
 */
export function isSharedFileMode(mode: number): boolean {
  return process.platform !== 'win32' && (mode & 0o077) !== 0;
}

export function createModeWarner(onWarning: (message: string) => void): ModeWarner {
  const warned = new Set<string>();
  return (path, mode) => {
    if (!isSharedFileMode(mode) || warned.has(path)) return;
    warned.add(path);
    const shown = (mode & 0o777).toString(8).padStart(3, '0');
    onWarning(
      `[phlow] [encrypted_file] ${path} is accessible to other users (mode ${shown}); run: chmod 600 ${path}`,
    );
  };
}
