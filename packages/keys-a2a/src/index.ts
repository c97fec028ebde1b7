export type {
  AgentCard,
  AgentCardSignature,
  CardSigningKeys,
  CardVerifyingKeys,
  SignedAgentCard,
} from './card.js';
export {
  AGENT_CARD_PATH,
  type AgentCardHandler,
  type AgentCardHandlerKeys,
  type AgentCardHandlerOptions,
  cardMaxAgeBound,
  createAgentCardHandler,
  createAgentCardNodeHandler,
  type NodeAgentCardHandler,
} from './card-handler.js';
export {
  AgentCardError,
  type AgentCardErrorCode,
  isAgentCardError,
  type SignatureFailure,
} from './errors.js';
export { type CanonicalizeOptions, canonicalize, DEFAULT_MAX_CARD_BYTES, MAX_DEPTH } from './jcs.js';
export { type ParseAgentCardOptions, parseAgentCardJson } from './parse.js';
export { type SignAgentCardOptions, signAgentCard } from './sign.js';
export type { PinnedCardKey, RemoteCardKey, RemoteCardKeySet } from './trust.js';
export {
  type AgentCardTrustPolicy,
  type CardAlgorithm,
  type VerifiedAgentCard,
  verifyAgentCard,
} from './verify.js';
