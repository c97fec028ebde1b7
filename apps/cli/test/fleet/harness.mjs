/**
 * Drives a fleet of replica processes (replica.mjs) for the fleet tests and the fleet benchmark: every
 * replica signs in turn and the next one verifies that signature, so each verification crosses a process
 * boundary and two independent caches. Loops are bounded by counts of rounds; every request has a deadline.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { createInterface } from 'node:readline';

const REPLICA = new URL('./replica.mjs', import.meta.url);

/** One replica process and its request/answer lines. */
export class Replica {
  #child;
  #waiting = new Map();
  #next = 0;
  #stderr = '';

  constructor(index, { cwd, env }) {
    this.index = index;
    this.#child = spawn(process.execPath, [REPLICA.pathname], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.on('data', (chunk) => {
      this.#stderr = (this.#stderr + chunk).slice(-2000);
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line);
      const waiter = this.#waiting.get(answer.n);
      this.#waiting.delete(answer.n);
      waiter?.resolve(answer);
    });
    this.#child.on('exit', (code) => {
      for (const waiter of this.#waiting.values()) {
        waiter.reject(new Error(`replica ${index} exited (${code}): ${this.#stderr}`));
      }
      this.#waiting.clear();
    });
  }

  /** Sends one request; rejects after `deadlineMs` (generous: the machine may be loaded). */
  request(body, deadlineMs = 120_000) {
    const n = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(n);
        reject(new Error(`replica ${this.index} did not answer ${body.op} within ${deadlineMs} ms`));
      }, deadlineMs);
      this.#waiting.set(n, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#child.stdin.write(`${JSON.stringify({ n, ...body })}\n`);
    });
  }

  stop() {
    this.#child.stdin.end();
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) resolve();
      else this.#child.on('exit', () => resolve());
    });
  }
}

/**
 * `size` replicas on one store, the cross-verification loop and what it saw: every signature (who, when,
 * which key) and every failed verification.
 */
export class Fleet {
  /** @type {Replica[]} */
  replicas;
  /** Every signature: { replica, msg, sig, before, after } (replica clock, ms). */
  signatures = [];
  verifications = 0;
  /** Verifications that answered false, and requests that failed with an error code. */
  failed = 0;
  errors = [];
  #round = 0;

  #cwd;
  #env;

  /** `envs[i]`, if given, is added to replica i's environment (another delay setting, say). */
  constructor({ size, cwd, env, envs = [] }) {
    this.#cwd = cwd;
    this.#env = env;
    this.replicas = Array.from(
      { length: size },
      (_, i) => new Replica(i, { cwd, env: { ...env, ...envs[i] } }),
    );
  }

  /** Stops replica `i` and starts a new process in its place with `extraEnv` (a restart with other settings). */
  async restart(i, extraEnv = {}) {
    await this.replicas[i].stop();
    this.replicas[i] = new Replica(i, { cwd: this.#cwd, env: { ...this.#env, ...extraEnv } });
    await this.replicas[i].request({ op: 'sign', msg: 'warm-up' });
  }

  /**
   * Each replica reads the key once, `ttlMs / size` apart, so their caches expire at different moments, as in
   * a fleet whose processes started at different times. Replicas in lockstep would all reload in the same
   * round and hide the window in which one knows a key the others do not.
   */
  async stagger(ttlMs) {
    for (const replica of this.replicas) {
      await replica.request({ op: 'sign', msg: 'warm-up' });
      await new Promise((resolve) => setTimeout(resolve, ttlMs / this.replicas.length));
    }
  }

  /**
   * One round: each replica signs a fresh message and the next replica verifies it. `op` is how it signs:
   * `sign` (KeyManager.sign) or `pair` (with the private key KeyManager.getKeyPair returns).
   */
  async round(op = 'sign') {
    const round = this.#round++;
    await Promise.all(
      this.replicas.map(async (replica, i) => {
        const msg = `round ${round} from ${i}`;
        const signed = await replica.request({ op, msg });
        if (signed.error) {
          this.errors.push(`sign ${signed.error}`);
          return;
        }
        this.signatures.push({
          replica: i,
          msg,
          sig: signed.sig,
          before: signed.before,
          after: signed.after,
        });
        const verifier = this.replicas[(i + 1) % this.replicas.length];
        const checked = await verifier.request({ op: 'verify', msg, sig: signed.sig });
        this.verifications++;
        if (checked.error) this.errors.push(`verify ${checked.error}`);
        else if (!checked.ok) this.failed++;
      }),
    );
  }

  /** Rounds until `done()` is true after a round; throws after `maxRounds` rounds. */
  async roundsUntil(done, maxRounds = 5000, op = 'sign') {
    for (let i = 0; i < maxRounds; i++) {
      await this.round(op);
      if (await done()) return i + 1;
    }
    throw new Error(`fleet: condition not met after ${maxRounds} rounds`);
  }

  /**
   * Runs `rotate()` (a separate `phlow-keys rotate` process, resolving to its --json answer) while the rounds
   * go on, then keeps going until every replica has signed with the new key. `jwks()` is read once the
   * rotation has returned, so that `book` recognises the new key. Returns the rotation and the signatures
   * made meanwhile.
   */
  async rotateDuringTraffic({ book, rotate, jwks, maxRounds, op }) {
    const from = this.signatures.length;
    let rotated;
    let failed;
    const rotating = rotate().then(
      (answer) => {
        rotated = answer;
      },
      (error) => {
        failed = error;
      },
    );
    let known = false;
    await this.roundsUntil(
      async () => {
        if (failed) throw failed;
        if (!rotated) return false;
        if (!known) {
          book.add(await jwks());
          known = true;
        }
        const switched = new Set();
        for (const s of this.signatures.slice(from)) {
          if (book.signer(s.msg, s.sig) === rotated.kid) switched.add(s.replica);
        }
        return switched.size === this.replicas.length;
      },
      maxRounds,
      op,
    );
    await rotating;
    return { rotated, during: this.signatures.slice(from) };
  }

  /** Every replica asks `op` of the same signature; answers in replica order. */
  everyone(body) {
    return Promise.all(this.replicas.map((r) => r.request(body)));
  }

  stop() {
    return Promise.all(this.replicas.map((r) => r.stop()));
  }
}

/**
 * Which key made a signature: a map from kid to public key, filled from JWK Sets as they are seen, so
 * retired keys stay recognisable.
 */
export class KeyBook {
  #keys = new Map();

  add(jwks) {
    for (const jwk of jwks.keys) {
      if (!this.#keys.has(jwk.kid)) this.#keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
    }
  }

  /** The kid whose key verifies `sig` (base64url) over `msg`, or undefined. */
  signer(msg, sig) {
    for (const [kid, key] of this.#keys) {
      if (verify(null, Buffer.from(msg), key, Buffer.from(sig, 'base64url'))) return kid;
    }
    return undefined;
  }
}
