/** Every command, in the order `--help` lists them. */
import type { Command } from '../command.js';
import { audit } from './audit.js';
import { completion } from './completion.js';
import { remove } from './delete.js';
import { doctor } from './doctor.js';
import { generate } from './generate.js';
import { get } from './get.js';
import { init } from './init.js';
import { jwks } from './jwks.js';
import { list } from './list.js';
import { migrate } from './migrate.js';
import { rekey } from './rekey.js';
import { rotate } from './rotate.js';
import { sign } from './sign.js';
import { token } from './token.js';
import { verify } from './verify.js';
import { verifyToken } from './verify-token.js';

export const COMMANDS: readonly Command[] = [
  init,
  generate,
  get,
  list,
  rotate,
  remove,
  jwks,
  sign,
  verify,
  token,
  verifyToken,
  migrate,
  rekey,
  doctor,
  audit,
  completion,
];
