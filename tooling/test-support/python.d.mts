// Types of python.mjs.
export const INSTALL_TIMEOUT_MS: number;
export const RUN_TIMEOUT_MS: number;

export interface PythonInterop {
  /** Installs the venv (once; later calls share the first), or rejects saying which installer failed. */
  install(): Promise<void>;
  /**
   * Runs `script` with `args` in the venv, `request` as JSON on stdin; resolves with its JSON answer, rejects
   * on a non-zero exit (with its stderr), after RUN_TIMEOUT_MS, or past 64 MiB of output.
   */
  run<T = unknown>(request: unknown, args?: readonly string[]): Promise<T>;
}

/** A runner of `script` in the venv `installer` (a tooling/services/python-*\/install.sh) makes. */
export function pythonInterop(paths: { readonly installer: string; readonly script: string }): PythonInterop;
