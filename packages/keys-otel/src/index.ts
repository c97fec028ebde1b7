/** @phlow/keys-otel: OpenTelemetry spans and metrics for phlow-keys, through KeyManager's one event hook. */
export { attributesOfError, keyIdAttribute } from './attributes.js';
export { createKeyTelemetry, type KeyTelemetry, type KeyTelemetryOptions } from './telemetry.js';
