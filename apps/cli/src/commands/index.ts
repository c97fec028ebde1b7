/**
 * Every command, in the order `--help` lists them. One folder per command (the changesets CLI's layout): its
 * `index.ts` is the help text and options this table and the parser read, its `run.ts` what it does, loaded
 * only when it runs, beside the helpers only that command uses. So `--help` loads neither core nor jose.
 */
import type { Command } from '../command.js';
import { audit } from './audit/index.js';
import { card } from './card/index.js';
import { completion } from './completion/index.js';
import { remove } from './delete/index.js';
import { doctor } from './doctor/index.js';
import { generate } from './generate/index.js';
import { get } from './get/index.js';
import { help } from './help/index.js';
import { http } from './http/index.js';
import { init } from './init/index.js';
import { jwks } from './jwks/index.js';
import { list } from './list/index.js';
import { migrate } from './migrate/index.js';
import { rekey } from './rekey/index.js';
import { rotate } from './rotate/index.js';
import { sign } from './sign/index.js';
import { token } from './token/index.js';
import { verify } from './verify/index.js';
import { verifyToken } from './verify-token/index.js';

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
  card,
  http,
  migrate,
  rekey,
  doctor,
  audit,
  completion,
  help,
];
