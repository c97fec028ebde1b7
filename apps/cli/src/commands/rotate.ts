/**
 * `phlow-keys rotate <id>`: a new current key; the previous one keeps verifying for the grace period
 * (PHLOW_KEY_ROTATION_GRACE_SECONDS, default 24 h), so tokens signed just before the rotation stay valid.
 */
import type { Command } from '../command.js';
import { formatDuration } from '../duration.js';
import { EXIT } from '../exit-codes.js';
import { oneId } from '../ids.js';
import { withSession } from '../session.js';

export const rotate: Command = {
  name: 'rotate',
  summary: 'replace a key; the old one verifies during the grace period',
  usage: 'rotate <id>',
  description:
    'Writes a new Ed25519 key as the current version of <id>. The previous key stays in the JWK Set and keeps verifying for PHLOW_KEY_ROTATION_GRACE_SECONDS (default 86400, 24h) after the rotation. Needs a store that keeps versions (encrypted_file, vault, aws).',
  options: {},
  optionHelp: [],
  examples: [
    'phlow-keys rotate my-agent',
    'PHLOW_KEY_ROTATION_GRACE_SECONDS=3600 phlow-keys rotate my-agent',
  ],
  async run(context) {
    const id = oneId(context, 'rotate');
    const { out } = context;
    await withSession(context, async ({ manager, store }) => {
      const result = await manager.rotateKeyPair(id);
      const shape = {
        keyId: id,
        store: store.type,
        kid: result.kid,
        previousKid: result.previousKid,
        gracePeriodSeconds: manager.rotationGracePeriodMs / 1000,
        previousRetiresAt: result.previousRetiresAt.toISOString(),
      };
      if (out.json) return out.data(shape);
      out.line(`${out.paint('green', 'rotated')} key ${out.paint('bold', id)} in ${store.type}`);
      out.fields([
        ['new kid', result.kid],
        ['old kid', result.previousKid],
        ['grace period', formatDuration(manager.rotationGracePeriodMs)],
        ['old key retires', shape.previousRetiresAt],
      ]);
    });
    return EXIT.OK;
  },
};
