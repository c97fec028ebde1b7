/**
 * `phlow-keys http`: its help text and options, all that the command table and `--help` read. What it does
 * is in run.ts (and the captured-request parser in captured.ts), loaded only when the command runs.
 */
import type { Command } from '../../command.js';

export const http: Command = {
  name: 'http',
  summary: 'sign an HTTP request with a key (RFC 9421, Web Bot Auth), or verify a captured one',
  usage:
    'http sign <id> <url> [--method <m>] [--header "<name>: <value>"]... [--body <text> | --body-file <path|->] [--agent <origin>] [--send] | http verify [<file> | -] (--key <id> | --allow-origin <origin>...)',
  description:
    'http sign prints the Signature-Input, Signature (and Signature-Agent, Content-Digest) headers for the request, signed through the store (Vault Transit, PKCS#11 and KMS keys sign inside their backend); with --send it runs the request and prints the status and response body. http verify reads a captured request (HTTP/1.1 text: request line, headers, blank line, body) from a file or stdin and checks its signature with a local key (--key) or the agent directory its Signature-Agent names, fetched only from an --allow-origin origin.',
  options: {
    method: { type: 'string' },
    header: { type: 'string', multiple: true },
    body: { type: 'string' },
    'body-file': { type: 'string' },
    agent: { type: 'string' },
    'expires-in': { type: 'string' },
    send: { type: 'boolean' },
    key: { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    'allow-insecure-loopback': { type: 'boolean' },
    scheme: { type: 'string' },
  },
  optionHelp: [
    ['--method <m>', 'sign: the request method; default GET (POST when there is a body)'],
    ['--header "<n>: <v>"', 'sign: a request header (repeat); covered only if listed by the profile'],
    [
      '--body <text>, --body-file <path|->',
      "sign: the request body (at most 1 MiB; - reads it from stdin), covered through Content-Digest; a file's bytes are sent as they are, with no Content-Type (add --header)",
    ],
    ['--agent <origin>', 'sign: the agent directory origin sent as Signature-Agent and covered'],
    ['--expires-in <s>', 'sign: signature validity in seconds, 1 to 86400; default 300'],
    ['--send', 'sign: run the request (30 s deadline) and print the status and the response body'],
    ['--key <id>', 'verify: check against this local key id (current and in-grace keys)'],
    [
      '--allow-origin <origin>',
      'verify: fetch the directory Signature-Agent names only from this origin (repeat)',
    ],
    ['--allow-insecure-loopback', 'verify: allow an http:// directory on a loopback address (tests)'],
    ['--scheme <https|http>', 'verify: the scheme of the captured request; default https'],
  ],
  examples: [
    'phlow-keys http sign my-agent https://api.example/orders --method POST --body \'{"qty":1}\' --agent https://my-agent.example',
    'phlow-keys http sign my-agent https://api.example/ --send',
    'phlow-keys http verify request.txt --key my-agent',
  ],
  run: async (context) => (await import('./run.js')).run(context),
};
