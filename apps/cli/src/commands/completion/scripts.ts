/**
 * Shell completion scripts for bash and zsh, generated from the command table so they never fall behind
 * it: command names, each command's options, the global options, and the values of --store, --from, --to and
 * --format. Key ids are not completed: listing them would open the store (a Vault round trip, a master key)
 * on every Tab.
 */
import { GLOBAL_OPTIONS } from '../../args.js';
import type { Command, OptionsConfig } from '../../command.js';

const STORE_TYPES = 'encrypted_file environment vault aws';
const VALUES: Record<string, string> = {
  store: STORE_TYPES,
  from: STORE_TYPES,
  to: STORE_TYPES,
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
  if [[ "$cmd" == completion && "$cur" != -* ]]; then COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return; fi
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
  if [[ "$cmd" == completion && "\${words[CURRENT]}" != -* ]]; then compadd -- bash zsh; return; fi
  if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- $opts $global; fi
}
compdef _phlow_keys phlow-keys
`;
}
