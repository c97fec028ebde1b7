// A verifier process of the remote key set's fleet test: one createRemoteKeySet on the built package, on a
// clock the test moves through IPC, verifying the tokens it is sent.
import { createRemoteKeySet, verifyJwt } from '../../dist/index.js';

let offset = 0;
let set;
process.on('message', async (message) => {
  if (message.type === 'init') {
    set = createRemoteKeySet(message.url, {
      allowInsecureLoopback: true,
      cooldownMs: 30_000,
      now: () => Date.now() + offset,
    });
    process.send({ type: 'ready' });
  } else if (message.type === 'advance') {
    offset += message.ms;
    process.send({ type: 'advanced' });
  } else if (message.type === 'verify') {
    const results = await Promise.all(
      Array.from({ length: message.times }, () =>
        verifyJwt(set, message.token, { issuer: 'https://issuer.test' }).then(
          (r) => r.kid,
          (e) => e.code ?? 'ERROR',
        ),
      ),
    );
    process.send({ type: 'verified', results });
  } else if (message.type === 'exit') {
    set.close();
    process.disconnect();
  }
});
