/**
 * A mistake on the command line, or an action the CLI refuses without confirmation. Exit code 2, and the
 * message says how to call the command instead.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose `--help` is suggested, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}
