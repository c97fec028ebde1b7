// Types of fleet.mjs (plain JavaScript, run by the bench under plain Node and imported by the test).
export interface FleetSigned {
  readonly token?: string;
  readonly kid?: string;
  readonly error?: string;
  readonly rechecks: number;
  readonly jwksRequests: number;
}
export interface FleetIssuer {
  readonly url: URL;
  sign(id: string): Promise<FleetSigned>;
  stats(): Promise<FleetSigned>;
  stop(): Promise<void>;
}
export function startIssuer(env: Record<string, string>): Promise<FleetIssuer>;
export function rotateElsewhere(
  env: Record<string, string>,
  id: string,
  now: boolean,
): Promise<{ kid: string; previousKid: string; activatesAt: string }>;
export function remoteVerifier(
  url: URL,
  options?: { cooldownDuration?: number; cacheMaxAge?: number },
): (token: string | undefined, issuer: string) => Promise<boolean>;
