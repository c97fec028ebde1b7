/**
 * The quiet agents under NODE_DEBUG=http,net: a child process sends requests with credential headers to a
 * loopback server through the kit's agents and through Node's own agent. Node prints the headers for its own
 * agent (the control: the check can see a leak) and never for the quiet ones, while the server still gets them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const kit = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'adapter', 'index.ts');
const dir = mkdtempSync(join(tmpdir(), 'phlow-quiet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
import { createServer, request, Agent } from 'node:http';
import { createQuietAgents } from 'kit';
const seen = [];
const server = createServer((req, res) => { seen.push(req.headers['x-amz-security-token']); req.resume(); res.end('ok'); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const quiet = process.argv[2] === 'quiet';
const agents = createQuietAgents();
const agent = quiet ? agents.http : new Agent({ keepAlive: true });
const headers = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDSECRETCRED/20260101', 'x-amz-security-token': 'SESSIONTOKENSECRET', 'x-vault-token': 'hvs.VAULTTOKENSECRET' };
for (let i = 0; i < 3; i++) {
  await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent, auth: 'user:BASICSECRET' }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end();
  });
}
agents.destroy(); agent.destroy(); server.close();
process.stdout.write(JSON.stringify(seen));
`;

async function run(mode: 'quiet' | 'plain') {
  const entry = join(dir, 'child.mjs');
  writeFileSync(entry, CHILD);
  const out = join(dir, `child-${mode}.bundle.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    alias: { kit },
    logLevel: 'silent',
  });
  return promisify(execFile)(process.execPath, [out, mode], {
    env: { ...process.env, NODE_DEBUG: 'http,net' },
    timeout: 60_000,
  });
}

const SECRETS = ['AKIDSECRETCRED', 'SESSIONTOKENSECRET', 'VAULTTOKENSECRET', 'BASICSECRET'];
const count = (text: string) => SECRETS.reduce((n, s) => n + text.split(s).length - 1, 0);

describe('adapter createQuietAgents', () => {
  it("Node's own agent prints the credentials under NODE_DEBUG=http,net (the check sees a leak)", async () => {
    const { stderr } = await run('plain');
    expect(count(stderr)).toBeGreaterThan(0);
  });

  it('the quiet agents print none of them, and the server still receives them', async () => {
    const { stdout, stderr } = await run('quiet');
    expect(stderr).toContain('createConnection'); // NODE_DEBUG was on and a connection was logged
    expect(count(stderr)).toBe(0);
    expect(JSON.parse(stdout)).toEqual(['SESSIONTOKENSECRET', 'SESSIONTOKENSECRET', 'SESSIONTOKENSECRET']);
  });
});
