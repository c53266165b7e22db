# bash completion for ocirt: commands, options (read from `ocirt --help` and `ocirt COMMAND --help`, so
# they follow the binary), option values, container ids (`ocirt list -q`, on the --root given) and
# signal names for `kill`.
#
# Install: copy to /usr/share/bash-completion/completions/ocirt (make install does), or source it.

# _ocirt_options HELP-TEXT: the options of the help's option lines, one a line: "NAME" or "NAME ARG"
# (ARG when the option takes a value), for the long and the short form.
_ocirt_options() {
  local line re='^ +(-([a-zA-Z]), )?--([a-z][a-z0-9-]*)( ([A-Z][A-Z0-9_=:.]*|\[?[A-Z].*))?'
  while IFS= read -r line; do
    [[ $line =~ $re ]] || continue
    local arg=${BASH_REMATCH[5]:+ ARG}
    printf -- '--%s%s\n' "${BASH_REMATCH[3]}" "$arg"
    if [ -n "${BASH_REMATCH[2]}" ]; then printf -- '-%s%s\n' "${BASH_REMATCH[2]}" "$arg"; fi
  done <<<"$1"
}

_ocirt() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local ocirt=${COMP_WORDS[0]} root=() cmd= cmd_i=0 i w
  local global_opts
  global_opts=$(_ocirt_options "$("$ocirt" --help 2>/dev/null)")

  # The command: the first word that is neither a global option nor an option's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --root=*) root=(--root "${w#--root=}") ;;
      -*)
        if grep -qx -- "$w ARG" <<<"$global_opts"; then
          [ "$w" = --root ] && root=(--root "${COMP_WORDS[i + 1]}")
          i=$((i + 1))
        fi
        ;;
      *)
        cmd=$w
        cmd_i=$i
        break
        ;;
    esac
  done

  # The value of an option.
  case $prev in
    --root | --bundle | -b | --cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --format | -f) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
    --cgroup-manager) COMPREPLY=($(compgen -W "cgroupfs systemd disabled" -- "$cur")); return ;;
    --log | --pid-file | --process | -p | --console-socket | --resources | -r)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
  esac

  if [ -z "$cmd" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(cut -d' ' -f1 <<<"$global_opts")" -- "$cur"))
    else
      local cmds
      cmds=$("$ocirt" --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" { print $1 }')
      COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
    fi
    return
  fi

  local cmd_opts
  cmd_opts=$(_ocirt_options "$("$ocirt" "$cmd" --help 2>/dev/null)")
  # An option of the command that takes a value we cannot guess: nothing.
  if [[ $prev == -* ]] && grep -qx -- "$prev ARG" <<<"$cmd_opts"; then
    COMPREPLY=()
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(cut -d' ' -f1 <<<"$cmd_opts")" -- "$cur"))
    return
  fi

  # Positional arguments: how many come before this one (options and their values skipped)?
  local n=0
  for ((i = cmd_i + 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == -* ]]; then
      if grep -qx -- "$w ARG" <<<"$cmd_opts"; then i=$((i + 1)); fi
    else
      n=$((n + 1))
    fi
  done
  case $cmd in
    spec | features | list) COMPREPLY=() ;;
    kill)
      if [ "$n" -eq 0 ]; then
        COMPREPLY=($(compgen -W "$("$ocirt" "${root[@]}" list -q 2>/dev/null)" -- "$cur"))
      elif [ "$n" -eq 1 ]; then
        COMPREPLY=($(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT WINCH" -- "$cur"))
      fi
      ;;
    exec)
      # the id, then the command to run (no completion inside the container)
      if [ "$n" -eq 0 ]; then COMPREPLY=($(compgen -W "$("$ocirt" "${root[@]}" list -q 2>/dev/null)" -- "$cur")); fi
      ;;
    create | run)
      # a new id: no completion
      COMPREPLY=()
      ;;
    *)
      if [ "$n" -eq 0 ]; then COMPREPLY=($(compgen -W "$("$ocirt" "${root[@]}" list -q 2>/dev/null)" -- "$cur")); fi
      ;;
  esac
  return 0
}

complete -F _ocirt ocirt
