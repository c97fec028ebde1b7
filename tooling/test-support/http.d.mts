// Types of http.mjs.
export {
  forwardTo,
  listenOnLoopback,
  startTrickleServer,
  type TrickleServer,
  trickleAnswer,
} from '@phlow/keystore-testkit/transport';
