// Types of frozen-clock.mjs.
export interface FrozenClockRotation {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly activatesAt?: number;
}

/**
 * Rotates `keyId` in a child process whose clock reads `frozenMs`, on the store `factory` (an export of the
 * module at `storeModule`, a file URL of the adapter's built entry) makes from `options` (JSON) and the
 * inherited environment, with a rotation delay of `delayMs`.
 */
export function rotateWithFrozenClock(input: {
  readonly storeModule: string;
  readonly factory: string;
  readonly options?: Record<string, unknown>;
  readonly keyId: string;
  readonly delayMs: number;
  readonly frozenMs: number;
}): Promise<FrozenClockRotation>;
