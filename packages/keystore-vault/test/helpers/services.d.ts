// Types for tooling/services/index.mjs (@phlow/services), which ships none: the calls these tests use.
declare module '@phlow/services' {
  /** `vault operator seal`; resolves once Vault reports sealed. Data is kept. */
  export function sealVault(): Promise<void>;
  /** Unseals; resolves once Vault is active again with its data. */
  export function unsealVault(): Promise<void>;
  /** Stops Vault; resolves once the port is closed. */
  export function stopVault(): Promise<void>;
  /** Starts Vault again on the same port and root token, `phlow` mounted; dev mode comes back empty. */
  export function startVault(): Promise<Record<string, string>>;
}
