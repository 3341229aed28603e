# bash completion for sluicectl (installed as /usr/share/bash-completion/completions/sluicectl).
# The command words follow control/command_parse.cc; the package's e2e test checks them
# against `sluicectl --help`. Virtual services, real servers and HA instances are asked of the
# running sluiced (2 s at most, nothing offered when it does not answer).

# _sluicectl_ask SOCKET-ARGS... -- COMMAND...: sluiced's JSON answer, or nothing.
_sluicectl_ask() {
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  timeout 2 sluicectl "${args[@]}" --json "$@" 2>/dev/null
}

# VIP:PORT/PROTOCOL of every listener, from `show vips`: its JSON has one key a line, in
# alphabetical order (address, mode, name, ports, protocol, ...), so a listener is complete at
# its "protocol". Single ports only (set server takes one port); IPv6 in brackets.
_sluicectl_services() {
  _sluicectl_ask "$@" -- show vips |
    awk -F'"' '/"address":/ {a = index($4, ":") ? "[" $4 "]" : $4} /"ports":/ {p = $4}
               /"protocol":/ {
                 n = split(p, ps, ",")
                 for (i = 1; i <= n; i++) {
                   if (ps[i] !~ /^[0-9]+$/) continue
                   if ($4 == "both") { print a ":" ps[i] "/tcp"; print a ":" ps[i] "/udp" }
                   else print a ":" ps[i] "/" $4
                 }
               }' | sort -u
}

_sluicectl_vips() {
  _sluicectl_ask "$@" -- show vips | awk -F'"' '/"address":/ {print $4}' | sort -u
}

_sluicectl_servers() {
  _sluicectl_ask "$@" -- show servers | awk -F'"' '/"server":/ {print $4}' | sort -u
}

_sluicectl_instances() {
  _sluicectl_ask "$@" -- show ha | awk -F'"' '/"name":/ {print $4}' | sort -u
}

_sluicectl() {
  local cur prev words cword
  # -n : keeps VIP:PORT and RIP:PORT whole words (bash splits at colons by default).
  _init_completion -n : || return
  local socket=() cmd=() i
  # Options first (--socket PATH, --json), then the command's words.
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --socket) socket=(--socket "${words[i+1]}"); i=$((i + 1)) ;;
      --json | --help) ;;
      *) cmd+=("${words[i]}") ;;
    esac
  done
  if [ "$prev" = --socket ]; then
    _filedir
    return
  fi
  local offer=""
  case "${cmd[*]}" in
    "") offer="show set clear reload ha --json --help"
        [ "${#socket[@]}" -gt 0 ] || offer+=" --socket" ;;
    show) offer="vips servers stats ipvs conns persistence neighbours ha" ;;
    "show stats") offer="--rate $(_sluicectl_vips "${socket[@]}")" ;;
    "show stats --rate") offer=$(_sluicectl_vips "${socket[@]}") ;;
    "show stats "*) [[ " ${cmd[*]} " == *" --rate "* ]] || offer="--rate" ;;
    "show ipvs") offer="--stats --rate" ;;
    clear) offer="persistence" ;;
    set) offer="server" ;;
    "set server") offer=$(_sluicectl_services "${socket[@]}") ;;
    "set server "*)
      case ${#cmd[@]} in
        3) offer=$(_sluicectl_servers "${socket[@]}") ;;
        4) offer="state weight" ;;
        5) [ "${cmd[4]}" = state ] && offer="online drain halt" ;;
      esac ;;
    ha) offer="failover maintenance push" ;;
    "ha failover") offer=$(_sluicectl_instances "${socket[@]}") ;;
    "ha maintenance") offer="on off" ;;
    "ha maintenance on" | "ha maintenance off") offer=$(_sluicectl_instances "${socket[@]}") ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$offer" -- "$cur")
  __ltrim_colon_completions "$cur"
}
complete -F _sluicectl sluicectl
