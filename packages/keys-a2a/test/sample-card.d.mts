// Types of sample-card.mjs.
/** A new copy of the sample card each call (tests change theirs). */
export function sampleCard(): Record<string, unknown>;
