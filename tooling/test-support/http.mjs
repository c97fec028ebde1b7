// The loopback HTTP servers the adapters' tests and benches put in front of a real server (Vault, moto) live
// in the published testkit now (`@phlow/keystore-testkit/transport`), where the conformance suite's transport
// group uses them: this entry re-exports them for the tests and bench scripts that import it.
export {
  forwardTo,
  listenOnLoopback,
  startTrickleServer,
  trickleAnswer,
} from '@phlow/keystore-testkit/transport';
