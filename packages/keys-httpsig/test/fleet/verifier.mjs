// Fleet child: a verifier in its own process. Reads one JSON command per line on stdin, answers one JSON line:
//   {"cmd":"verify","method","url","headers":[[k,v]...],"body"?}  -> {"ok":true,"keyid"} | {"ok":false,"code","cause"}
//   {"cmd":"advance","ms"}                                          -> {"ok":true}  (its clock moves forward)
// Its directory policy allows FLEET_ORIGIN only (http loopback allowed for the test), max-age clamped to
// [FLEET_MIN_MAX_AGE_MS, 24 h], stale-if-error 24 h. Counts the directory fetches it made (keys-jwt's events are
// not exposed through the verifier, so it counts what the directory server logs instead: see the test).
import { createInterface } from 'node:readline';
import { createMemoryNonceStore, createRequestVerifier } from '../../dist/index.js';

let offset = 0;
const now = () => Date.now() + offset;
const verifier = createRequestVerifier({
  directory: {
    allowedOrigins: [process.env.FLEET_ORIGIN],
    allowInsecureLoopback: true,
    allowPrivateAddresses: true,
    minMaxAgeMs: Number(process.env.FLEET_MIN_MAX_AGE_MS),
    cooldownMs: 1000,
    backgroundRefresh: false,
  },
  nonceStore: createMemoryNonceStore({ now }),
  now,
});

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  let answer;
  if (command.cmd === 'advance') {
    offset += command.ms;
    answer = { ok: true };
  } else {
    try {
      const request = new Request(command.url, {
        method: command.method,
        headers: command.headers,
        ...(command.body ? { body: command.body } : {}),
      });
      const result = await verifier.verify(request);
      answer = { ok: true, keyid: result.keyid };
    } catch (error) {
      answer = { ok: false, code: error.code ?? 'ERROR', cause: error.cause?.code };
    }
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
verifier.close();
