# Shared by the enrolment benchmarks (enrol_bench.sh, coap_bench.sh); sourced after BIN is
# set. bench_init NAME makes the scratch directory $W, kills every PID in PIDS and removes
# $W on exit (BENCH_KEEP=1 keeps it).

bench_init() {
  BENCH_NAME=$1
  W=$(mktemp -d "/tmp/m2msec-$BENCH_NAME.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  [ -n "${BENCH_KEEP:-}" ] && echo "$BENCH_NAME: kept $W" >&2 || rm -rf "$W"
}

# free_port [tcp|udp]: a free loopback port (bind to port 0, read what the kernel chose).
free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-tcp}"
}

# field KEY LINE: the value of KEY=value in a summary line.
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# bench_pki: root, SP CA, manufacturer CA and the MEF's FQDN certificate in $P, and a KEK.
bench_pki() {
  P=$W/pki
  mkdir -p "$P"
  {
    "$BIN/m2msec" pki ca --out "$P/root" --cn "Bench Root" &&
      "$BIN/m2msec" pki ca --out "$P/sp" --issuer "$P/root" --permit-dns example.com --pathlen 0 &&
      "$BIN/m2msec" pki ca --out "$P/mfr" --issuer "$P/root" --pathlen 0 &&
      "$BIN/m2msec" pki cert --flavour fqdn --id mef.example.com --issuer "$P/sp" --out "$P/mef"
  } >/dev/null || { echo "$BENCH_NAME: PKI failed" >&2; exit 1; }
  head -c 32 /dev/urandom >"$W/kek"
  chmod 600 "$W/kek"
}

# bench_mef_conf FILE DB PORT WORKERS [DAEMON-LINES] [MEF-LINES]: an MEF configuration
# on that store, trusting device certificates under the bench root.
bench_mef_conf() {
  cat >"$1" <<CONF
[daemon]
store = sqlite:$2
kek_file = $W/kek
workers = $4
${5:-}
[mef]
fqdn = mef.example.com
listen = 127.0.0.1:$3
cert = $P/mef.cert.pem
key = $P/mef.key.pem
chain = $P/sp.cert.pem
sp_id = //sp.example.com
in_cse_id = in-cse
ke_lifetime = 86400
${6:-}
[trust.devices]
anchors = $P/root.cert.pem
flavours = device
CONF
}
