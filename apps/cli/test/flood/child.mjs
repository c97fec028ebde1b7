// The flood of scenario.mjs in a process of its own, started by verify-flood.test.ts under `ulimit -n 1024`:
// prints the result as one JSON line. Usage: node child.mjs <vault|aws> <count>
import { runFlood } from './scenario.mjs';

const [kind, count] = process.argv.slice(2);
const result = await runFlood(kind, process.env, { count: Number(count) });
process.stdout.write(`${JSON.stringify(result)}\n`);
