// Setup of the `noble` test project: every core test signs and verifies through the portable path.
import { setEd25519Backend } from '../src/signer.js';

setEd25519Backend('noble');
