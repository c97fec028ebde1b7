/**
 * `@phlow/keystore-testkit/transport`: the servers and the child-process runner behind the conformance suite's
 * transport group, for a network store's own tests, bench scripts and NODE_DEBUG children. No vitest import,
 * so plain Node scripts can use it.
 */
export {
  forwardTo,
  type LoopbackServer,
  listenOnLoopback,
  startTrickleServer,
  startTricklingEndpoint,
  type TrickleCounts,
  type TrickleEvents,
  type TrickleServer,
  type TricklingEndpoint,
  trickleAnswer,
} from './http.js';
export { exerciseStore, NODE_DEBUG_SECTIONS, runWithNodeDebug } from './node-debug.js';
