// A clock a test moves forward by hand (`now` for a KeyManager, a key set, a verifier), so expiry, rotation
// grace and cache freshness are tested without waiting.
export function testClock(start = Date.now()) {
  const clock = {
    ms: start,
    now: () => clock.ms,
    advance(ms) {
      clock.ms += ms;
    },
  };
  return clock;
}
