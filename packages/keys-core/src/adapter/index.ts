/**
 * @phlow/keys-core/adapter: the dependency-free kit every store and store wrapper builds on, so that each
 * cross-cutting rule exists once. See each file for why it exists.
 */
export { BoundedMap } from './bounded-map.js';
export { DEADLINE_CODE, type Deadline, startDeadline, trackRequest, withDeadline } from './deadline.js';
export { parseDuration } from './duration.js';
export { mapLimit } from './map-limit.js';
export {
  createQuietAgents,
  DEFAULT_MAX_SOCKETS,
  type QuietAgentOptions,
  type QuietAgents,
} from './quiet-agents.js';
export {
  isRegularFileRefusal,
  type OpenedRegularFile,
  type OpenRegularFileOptions,
  openRegularFile,
  type ReadRegularFileSyncOptions,
  RegularFileRefusal,
  type RegularFileRefusalReason,
  type RegularFileTail,
  readOpenedFile,
  readOpenedHead,
  readRegularFileSync,
  readRegularFileTailSync,
  type SpecialFileKind,
} from './regular-file.js';
export { durationSetting, intSetting, type SettingRange } from './settings.js';
export { type AroundCall, KEYSTORE_METHODS, type KeyStoreMethod, wrapStore } from './store-methods.js';
export { parseStoredTime } from './stored-time.js';
export {
  CLOCK_TOLERANCE_MS,
  type VersionTimeInput,
  type VersionTimes,
  versionTimes,
} from './version-time.js';
