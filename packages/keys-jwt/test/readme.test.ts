// The README's opening example runs as written: the built package, imported by its own name, signs a token,
// verifies it, prints the claims and serves the JWK Set over HTTP.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the package, so that `@phlow/keys-jwt` resolves to this package (self-reference) and core to its dev dependency.
const file = join(root, `.readme-example-${process.pid}.tmp.mjs`);
afterAll(() => rmSync(file, { force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

it('the opening example runs as written (after a build)', async () => {
  expect(
    existsSync(join(root, 'dist/index.js')),
    'build first: pnpm turbo run build --filter=@phlow/keys-jwt...',
  ).toBe(true);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  expect(
    code!
      .trim()
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('import')).length,
  ).toBeLessThanOrEqual(10);
  writeFileSync(file, code!);
  const port = await freePort();
  const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, PORT: String(port) } });
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output within 30 s: ${stderr}`)), 30_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('summarise')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (exitCode) => reject(new Error(`exited ${exitCode}: ${stderr}`)));
    });
    expect(stdout).toContain("iss: 'my-agent'");
    let res: Response | undefined;
    for (let attempt = 0; attempt < 100 && !res; attempt++) {
      res = await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`).catch(
        () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
      );
    }
    expect(res?.status).toBe(200);
    expect(res?.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(((await res!.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  } finally {
    child.kill();
  }
});
