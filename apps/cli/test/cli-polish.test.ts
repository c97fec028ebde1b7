/**
 * The command line's manners: "did you mean" for mistyped commands and options in our own words, Ctrl+C
 * exits 130 quietly, FORCE_COLOR and an empty NO_COLOR, help wrapped to the width, a missing key file named
 * in NOT_FOUND, and shell completion scripts that work in real bash, zsh and fish.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI, cli, initProject, tempDir } from './helpers.js';

describe('did you mean', () => {
  it.each([
    [['lsit'], 'unknown command "lsit" (did you mean list?)'],
    [['generat', 'a'], 'unknown command "generat" (did you mean generate?)'],
    [['rotat'], 'unknown command "rotat" (did you mean rotate?)'],
    [['list', '--jsno'], 'list has no option "--jsno" (did you mean --json?)'],
    [['migrate', '--fromm', 'x'], 'migrate has no option "--fromm" (did you mean --from?)'],
    [['--jsn', 'list'], 'list has no option "--jsn" (did you mean --json?)'],
  ])('%j', async (args, message) => {
    const result = await cli(args, { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('suggests nothing for input far from every name, and never uses parseArgs wording', async () => {
    for (const args of [['frobnicate'], ['list', '--zzzzzz'], ['get', 'a', '-x']]) {
      const result = await cli(args, { cwd: tempDir() });
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('did you mean');
      expect(result.stderr).not.toContain("Unknown option '");
      expect(result.stderr).not.toContain('To specify a positional argument');
    }
  });

  it('a value that starts with a dash is a value, an option name is not', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    expect((await cli(['sign', 'a', '--message', '-x'], { cwd })).code).toBe(0);
    const missing = await cli(['sign', 'a', '--message', '--json'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--message needs a value');
  });
});

describe('Ctrl+C', () => {
  it('exits 130 with no error and no --debug hint, even in the middle of a request', async () => {
    // A "Vault" that accepts the connection and never answers: the CLI is surely running when it connects.
    const sockets: Socket[] = [];
    let connected: () => void = () => {};
    const connection = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const server = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const child = spawn(process.execPath, [CLI, '--store', 'vault', 'list'], {
        cwd: tempDir(),
        env: baseEnv({ VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: 'x' }) as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (code, signal) => resolve([code, signal])),
      );
      await connection;
      child.kill('SIGINT');
      expect(await exited).toEqual([130, null]);
      expect(output).not.toContain('--debug');
      expect(output).not.toContain('error:');
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

describe('colour', () => {
  it('FORCE_COLOR colours piped output, even with NO_COLOR; FORCE_COLOR=0 does not', async () => {
    const cwd = await initProject();
    await cli(['generate', 'a'], { cwd });
    const bold = '\u001b[1m';
    expect((await cli(['list'], { cwd })).stdout).not.toContain(bold);
    expect((await cli(['list'], { cwd, env: baseEnv({ FORCE_COLOR: '1' }) })).stdout).toContain(bold);
    expect((await cli(['list'], { cwd, env: baseEnv({ FORCE_COLOR: '0' }) })).stdout).not.toContain(bold);
    const both = await cli(['list'], { cwd, env: baseEnv({ FORCE_COLOR: '1', NO_COLOR: '1' }) });
    expect(both.stdout).toContain(bold);
  });
});

describe('help width', () => {
  it('wraps to COLUMNS when not on a terminal, words kept whole', async () => {
    for (const columns of [50, 72]) {
      const result = await cli(['migrate', '--help'], {
        cwd: tempDir(),
        env: baseEnv({ COLUMNS: String(columns) }),
      });
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      // Examples stay on one line each, to be copied as they are.
      for (const line of lines.filter((l) => !l.startsWith('  phlow-keys '))) {
        expect(line.length, line).toBeLessThanOrEqual(columns);
      }
      expect(result.stdout).toContain('--as <source>=<id>');
    }
    const wide = await cli(['migrate', '--help'], { cwd: tempDir(), env: baseEnv({ COLUMNS: '200' }) });
    expect(Math.max(...wide.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(100);
  });
});

describe('a missing key file', () => {
  it('is named in NOT_FOUND, for the default path and for PHLOW_KEY_STORE_FILE', async () => {
    const cwd = tempDir();
    const env = baseEnv({ PHLOW_MASTER_KEY: 'a passphrase' });
    const result = await cli(['get', 'a'], { cwd, env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no key pair "a": there is no key file at .phlow/keys.enc (the default)');
    const other = await cli(['sign', 'a', '-m', 'x'], {
      cwd,
      env: { ...env, PHLOW_KEY_STORE_FILE: 'keys/typo.enc' },
    });
    expect(other.stderr).toContain('no key file at keys/typo.enc (PHLOW_KEY_STORE_FILE)');
    // With the file present, NOT_FOUND means the id.
    const project = await initProject();
    const missingId = await cli(['get', 'nobody'], { cwd: project });
    expect(missingId.code).toBe(3);
    expect(missingId.stderr).not.toContain('no key file');
  });
});

describe('shell completion', () => {
  const complete = (shell: 'bash' | 'zsh', script: string, words: string[]) => {
    const file = join(tempDir('completion'), `phlow-keys.${shell}`);
    writeFileSync(file, script);
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const program =
      shell === 'bash'
        ? `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _phlow_keys; printf '%s\\n' "\${COMPREPLY[@]}"`
        : // compdef and compadd stubbed: the script's own logic runs in real zsh.
          `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; source ${file}; words=(${quoted}); CURRENT=${words.length}; _phlow_keys`;
    return execFileSync(shell, ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
  };

  const installed = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
  // tooling/services/zsh/install.sh (run by this package's test script) installs zsh where it can; where it
  // cannot (not root, no apt-get) the zsh case is reported skipped by name.
  const shells = (['bash', 'zsh'] as const).filter((shell) => shell === 'bash' || installed(shell));
  it.skipIf(installed('zsh'))(
    'zsh: skipped, zsh is not installed (tooling/services/zsh/install.sh)',
    () => {},
  );

  it.each(shells)('%s: commands, options, store types', async (shell) => {
    const result = await cli(['completion', shell], { cwd: tempDir() });
    expect(result.code).toBe(0);
    const script = result.stdout;
    expect(complete(shell, script, ['phlow-keys', 'ge'])).toEqual(
      shell === 'bash' ? ['generate', 'get'] : expect.arrayContaining(['generate', 'get']),
    );
    expect(
      complete(shell, script, ['phlow-keys', 'get', 'a', '--f']).filter((w) => w.startsWith('--f')),
    ).toEqual(['--format']);
    expect(complete(shell, script, ['phlow-keys', '--store', ''])).toEqual(
      expect.arrayContaining(['encrypted_file', 'vault', 'aws']),
    );
    expect(complete(shell, script, ['phlow-keys', '--store', 'vault', 'migrate', '--'])).toEqual(
      expect.arrayContaining(['--from', '--to', '--as', '--json']),
    );
    // `help` is a command, and takes a command name.
    expect(complete(shell, script, ['phlow-keys', 'he'])).toEqual(
      shell === 'bash' ? ['help'] : expect.arrayContaining(['help']),
    );
    expect(complete(shell, script, ['phlow-keys', 'help', 'ge'])).toEqual(
      shell === 'bash' ? ['generate', 'get'] : expect.arrayContaining(['generate', 'get']),
    );
  });

  const hasFish = (() => {
    try {
      execFileSync('fish', ['--version'], { encoding: 'utf8' });
      return true;
    } catch {
      return false;
    }
  })();

  /** `complete -C` in a real fish: the candidates for the line, without their descriptions. */
  const completeFish = (script: string, line: string) => {
    const file = join(tempDir('completion'), 'phlow-keys.fish');
    writeFileSync(file, script);
    const result = spawnSync('fish', ['-c', `source ${file}; complete -C ${JSON.stringify(line)}`], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((row) => row.split('\t')[0]);
  };

  // tooling/services/fish/install.sh (run by this package's test script) installs fish where it can.
  it.skipIf(!hasFish)(
    'fish: commands, options, store types (skipped when fish is not installed)',
    async () => {
      const result = await cli(['completion', 'fish'], { cwd: tempDir() });
      expect(result.code).toBe(0);
      const script = result.stdout;
      expect(completeFish(script, 'phlow-keys ge')).toEqual(['generate', 'get']);
      expect(completeFish(script, 'phlow-keys get a --f')).toEqual(['--format']);
      expect(completeFish(script, 'phlow-keys get a --format ')).toEqual(['jwk', 'pem']);
      expect(completeFish(script, 'phlow-keys --store ')).toEqual(
        expect.arrayContaining(['encrypted_file', 'vault', 'aws', 'pkcs11', 'aws_kms', 'vault_transit']),
      );
      // The value of --store is not taken for the command.
      expect(completeFish(script, 'phlow-keys --store vault ge')).toEqual(['generate', 'get']);
      expect(completeFish(script, 'phlow-keys --store vault migrate --')).toEqual(
        expect.arrayContaining(['--from', '--to', '--as', '--json']),
      );
      expect(completeFish(script, 'phlow-keys list --')).not.toContain('--from');
      expect(completeFish(script, 'phlow-keys completion ')).toEqual(['bash', 'fish', 'zsh']);
      expect(completeFish(script, 'phlow-keys he')).toEqual(['help']);
      expect(completeFish(script, 'phlow-keys help ge')).toEqual(['generate', 'get']);
    },
  );

  it('refuses another shell', async () => {
    const result = await cli(['completion', 'powershell'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bash, zsh or fish');
  });
});
