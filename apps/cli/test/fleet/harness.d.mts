// Types for harness.mjs (plain JS so that the fleet benchmark can run it without a build).
export interface SignatureRecord {
  readonly replica: number;
  readonly msg: string;
  readonly sig: string;
  readonly before: number;
  readonly after: number;
}
export interface Answer {
  readonly n: number;
  readonly sig?: string;
  readonly kid?: string;
  readonly ok?: boolean;
  readonly error?: string;
}
export declare class Replica {
  readonly index: number;
  constructor(index: number, options: { cwd: string; env: Record<string, string> });
  request(body: { op: string; msg?: string; sig?: string }, deadlineMs?: number): Promise<Answer>;
  stop(): Promise<void>;
}
export declare class Fleet {
  readonly replicas: Replica[];
  readonly signatures: SignatureRecord[];
  verifications: number;
  failed: number;
  readonly errors: string[];
  constructor(options: {
    size: number;
    cwd: string;
    env: Record<string, string>;
    envs?: readonly Record<string, string>[];
  });
  restart(index: number, extraEnv?: Record<string, string>): Promise<void>;
  stagger(ttlMs: number): Promise<void>;
  round(op?: 'sign' | 'pair'): Promise<void>;
  roundsUntil(
    done: () => boolean | Promise<boolean>,
    maxRounds?: number,
    op?: 'sign' | 'pair',
  ): Promise<number>;
  rotateDuringTraffic<R extends { kid: string }>(options: {
    book: KeyBook;
    rotate: () => Promise<R>;
    jwks: () => Promise<{ keys: readonly { kid: string }[] }>;
    maxRounds?: number;
    op?: 'sign' | 'pair';
  }): Promise<{ rotated: R; during: SignatureRecord[] }>;
  everyone(body: { op: string; msg?: string; sig?: string }): Promise<Answer[]>;
  stop(): Promise<unknown>;
}
export declare class KeyBook {
  add(jwks: { keys: readonly { kid: string }[] }): void;
  signer(msg: string, sig: string): string | undefined;
}
