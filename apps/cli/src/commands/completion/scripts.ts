/**
 * Shell completion scripts for bash, zsh and fish, generated from the command table so they never fall behind
 * it: command names, each command's options, the global options, the values of --store, --from, --to and
 * --format, and the command names after `help`. Key ids are not completed: listing them would open the store
 * (a Vault round trip, a master key) on every Tab.
 */
import { GLOBAL_HELP, GLOBAL_OPTIONS } from '../../args.js';
import type { Command, OptionsConfig } from '../../command.js';
import { STORE_TYPES } from '../../store-types.js';

const STORES = STORE_TYPES.join(' ');
const VALUES: Record<string, string> = {
  store: STORES,
  from: STORES,
  to: STORES,
  format: 'pem jwk',
};

const longNames = (options: OptionsConfig) => Object.keys(options).map((name) => `--${name}`);

/** Every option that takes a value, so the word after it is not mistaken for the command. */
function valueOptions(commands: readonly Command[]): string[] {
  const all: OptionsConfig = { ...GLOBAL_OPTIONS };
  for (const command of commands) Object.assign(all, command.options);
  return Object.entries(all)
    .filter(([, spec]) => spec.type === 'string')
    .flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]);
}

export function bashCompletion(commands: readonly Command[]): string {
  const perCommand = commands
    .map((c) => `    ${c.name}) opts="${longNames(c.options).join(' ')}" ;;`)
    .join('\n');
  const values = Object.entries(VALUES)
    .map(([name, words]) => `    --${name}) COMPREPLY=($(compgen -W "${words}" -- "$cur")); return ;;`)
    .join('\n');
  return `# phlow-keys completion for bash. Load it with:
#   eval "$(phlow-keys completion bash)"          (in ~/.bashrc)
# or save it: phlow-keys completion bash > ~/.local/share/bash-completion/completions/phlow-keys
_phlow_keys() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="${commands.map((c) => c.name).join(' ')}"
  local global="${longNames(GLOBAL_OPTIONS).join(' ')}"
  local cmd="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${valueOptions(commands).join('|')}) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
${values}
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$global" -- "$cur"))
    else COMPREPLY=($(compgen -W "$commands" -- "$cur")); fi
    return
  fi
  case "$cmd" in
${perCommand}
  esac
  if [[ "$cmd" == completion && "$cur" != -* ]]; then COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return; fi
  if [[ "$cmd" == help && "$cur" != -* ]]; then COMPREPLY=($(compgen -W "$commands" -- "$cur")); return; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts $global" -- "$cur")); fi
}
complete -F _phlow_keys phlow-keys
`;
}

export function zshCompletion(commands: readonly Command[]): string {
  const perCommand = commands
    .map((c) => `    ${c.name}) opts=(${longNames(c.options).join(' ')}) ;;`)
    .join('\n');
  const values = Object.entries(VALUES)
    .map(([name, words]) => `    --${name}) compadd -- ${words}; return ;;`)
    .join('\n');
  return `# phlow-keys completion for zsh. Load it after compinit with:
#   eval "$(phlow-keys completion zsh)"           (in ~/.zshrc)
_phlow_keys() {
  local -a commands global opts
  commands=(${commands.map((c) => c.name).join(' ')})
  global=(${longNames(GLOBAL_OPTIONS).join(' ')})
  local cmd="" i
  for ((i = 2; i < CURRENT; i++)); do
    case "\${words[i]}" in
      ${valueOptions(commands).join('|')}) ((i++)) ;;
      -*) ;;
      *) cmd="\${words[i]}"; break ;;
    esac
  done
  case "\${words[CURRENT-1]}" in
${values}
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- $global; else compadd -- $commands; fi
    return
  fi
  case "$cmd" in
${perCommand}
  esac
  if [[ "$cmd" == completion && "\${words[CURRENT]}" != -* ]]; then compadd -- bash zsh fish; return; fi
  if [[ "$cmd" == help && "\${words[CURRENT]}" != -* ]]; then compadd -- $commands; return; fi
  if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- $opts $global; fi
}
compdef _phlow_keys phlow-keys
`;
}

/** A fish single-quoted string. */
const fishQuote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The help text of option `name` in `rows` (`['-m, --message <text>', '...']`), if any. */
function optionText(rows: Command['optionHelp'], name: string): string | undefined {
  return rows.find(([flag]) => new RegExp(`(^|[ ,])--${name}( |$)`).test(flag))?.[1];
}

/** `complete` lines for `options`, under `condition` (none: everywhere). */
function fishOptions(
  options: OptionsConfig,
  help: Command['optionHelp'],
  condition: string | undefined,
): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const words = VALUES[name];
    const text = optionText(help, name);
    return [
      'complete -c phlow-keys',
      ...(condition ? [`-n ${fishQuote(condition)}`] : []),
      `-l ${name}`,
      ...(spec.short ? [`-s ${spec.short}`] : []),
      // -x: takes a value and offers no files; -r: takes a value, any value.
      ...(spec.type === 'string' ? [words ? `-x -a ${fishQuote(words)}` : '-r'] : []),
      ...(text ? [`-d ${fishQuote(text)}`] : []),
    ].join(' ');
  });
}

export function fishCompletion(commands: readonly Command[]): string {
  const globalHelp = GLOBAL_HELP as Command['optionHelp'];
  const lines = [
    ...commands.map(
      (c) => `complete -c phlow-keys -n __phlow_keys_needs_command -a ${c.name} -d ${fishQuote(c.summary)}`,
    ),
    ...fishOptions(GLOBAL_OPTIONS, globalHelp, undefined),
    ...commands.flatMap((c) => fishOptions(c.options, c.optionHelp, `__phlow_keys_using ${c.name}`)),
  ];
  return `# phlow-keys completion for fish. Load it with:
#   phlow-keys completion fish | source           (in ~/.config/fish/config.fish)
# or save it: phlow-keys completion fish > ~/.config/fish/completions/phlow-keys.fish

# The command on the line: the first word that is neither an option nor the value of one.
function __phlow_keys_command
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case ${valueOptions(commands).join(' ')}
                set skip 1
            case '-*'
            case '*'
                echo $word
                return 0
        end
    end
    return 1
end

function __phlow_keys_needs_command
    not __phlow_keys_command >/dev/null
end

function __phlow_keys_using
    set -l command (__phlow_keys_command)
    and test "$command" = $argv[1]
end

complete -c phlow-keys -e
# Key ids are not completed (that would open the store on every Tab), and no command takes a file but audit.
complete -c phlow-keys -f
complete -c phlow-keys -n '__phlow_keys_using audit' -F
complete -c phlow-keys -n '__phlow_keys_using completion' -a 'bash zsh fish'
complete -c phlow-keys -n '__phlow_keys_using help' -a ${fishQuote(commands.map((c) => c.name).join(' '))}
${lines.join('\n')}
`;
}
