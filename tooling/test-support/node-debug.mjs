// The NODE_DEBUG secrecy check (NODE_DEBUG=http,net,tls) lives in the published testkit now
// (`@phlow/keystore-testkit/transport`), where the conformance suite's transport group runs it: this entry
// re-exports it for the adapters' test/secrecy.test.ts and their children until they move to the group.
export { exerciseStore, runWithNodeDebug } from '@phlow/keystore-testkit/transport';
