# Shared helpers for integration tests: counters, checks, temp dirs, servers by PID.
# Each check prints one line; the test ends with "N passed, N failed".
set -uo pipefail

: "${M2M_BIN:?M2M_BIN must name the directory of the built programs}"
M2M="$M2M_BIN/m2msec"
T_PASS=0
T_FAIL=0
T_PIDS=()
T_DIR=$(mktemp -d /tmp/m2msec-test.XXXXXX)

t_cleanup() {
  local pid
  for pid in "${T_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$T_DIR"
}
trap t_cleanup EXIT

ok()   { T_PASS=$((T_PASS + 1)); echo "ok   - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"; }

# check NAME CMD...: passes when CMD exits 0.
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; fi; }
# check_fails NAME CMD...: passes when CMD exits non-zero.
check_fails() { local name=$1; shift; if "$@" >/dev/null 2>&1; then fail "$name"; else ok "$name"; fi; }
# check_eq NAME GOT WANT: WANT must not be empty (two empty strings prove nothing; use
# check_empty for that).
check_eq() {
  if [ -z "$3" ]; then fail "$1: nothing to compare against (empty expected value)"
  elif [ "$2" == "$3" ]; then ok "$1"
  else fail "$1: got '$2', want '$3'"; fi
}
check_empty() { if [ -z "$2" ]; then ok "$1"; else fail "$1: got '$2', want nothing"; fi; }
# check_match NAME TEXT REGEX
check_match() { if [[ "$2" =~ $3 ]]; then ok "$1"; else fail "$1: '$2' does not match /$3/"; fi; }

# check_contains NAME TEXT NEEDLE: NEEDLE (a fixed string, not empty) occurs in TEXT.
check_contains() {
  if [ -z "$3" ]; then fail "$1: empty needle"
  elif [[ "$2" == *"$3"* ]]; then ok "$1"
  else fail "$1: '$3' not in '${2:0:400}'"; fi
}

# A free TCP/UDP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-tcp}"
}

# wait_for_port PORT [tcp|udp] [TRIES]: bounded wait until something listens on the port.
# It never connects, so servers that accept a single connection are not disturbed.
wait_for_port() {
  local port=$1 proto=${2:-tcp} tries=${3:-200} flag=-Hltn
  [ "$proto" = udp ] && flag=-Hlun
  while [ "$tries" -gt 0 ]; do
    ss "$flag" "sport = :$port" | grep -q . && return 0
    sleep 0.05; tries=$((tries - 1))
  done
  return 1
}

# jget JSON KEY: one top-level string field of a JSON object.
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

t_done() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
