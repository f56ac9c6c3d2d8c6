#!/usr/bin/env bash
# Association benchmark (not a test): Entity A handshakes against `m2msec listen` on
# 127.0.0.1, certificate and PSK, TLS 1.2 and DTLS 1.2, reporting handshakes per CPU-second
# of the listener (its utime + stime from /proc/PID/stat, so the client's own CPU use on the
# same machine does not count), then the listener's resident memory per idle association
# with 1,000 associations open.
#
#   bash bench/assoc_bench.sh BUILD/bin [HANDSHAKES]
#
# Prints one line per figure and, last, one machine-readable line starting "ASSOC_BENCH".
set -u

BIN=${1:?usage: assoc_bench.sh BUILD/bin [HANDSHAKES]}
COUNT=${2:-2000}
IDLE=1000
M2M=$BIN/m2msec
LOAD=$BIN/assoc_load
WORK=$(mktemp -d /tmp/m2msec-assoc-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

free_port() {
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# listen TRANSPORT: starts one listener allowing every prepared identity; sets PORT, PID.
listen() {
  local proto=tcp flag= i
  [ "$1" = dtls ] && { proto=udp; flag=--dtls; }
  PORT=$(free_port $proto)
  rm -f "$WORK/listen.err"
  "$M2M" listen $flag --host 127.0.0.1 --port "$PORT" --id //sp.example.com/CSEB \
    --cert "$WORK/b.cert.pem" --key "$WORK/b.key.pem" --psk-file "$WORK/psk.json" \
    --peers "$WORK/peers.json" --idle-timeout 600000 </dev/null >/dev/null 2>"$WORK/listen.err" &
  PID=$!
  PIDS+=("$PID")
  for i in $(seq 200); do
    grep -q 'listening on' "$WORK/listen.err" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "listener did not start: $(cat "$WORK/listen.err")" >&2
  exit 1
}

stop() {
  kill -0 "$PID" 2>/dev/null || { echo "listener died: $(cat "$WORK/listen.err")" >&2; exit 1; }
  kill "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
}

echo "preparing $IDLE identities (certificates and PSKs)..."
"$LOAD" prepare "$WORK" "$IDLE" || exit 1
KV=()
for t in tls dtls; do
  for m in cert psk; do
    listen $t
    # A short warm-up so that the figures leave out start-up (loading 2,000 peers).
    "$LOAD" handshakes "$WORK" "$PORT" $t $m 50 "$PID" >/dev/null || exit 1
    # PSK handshakes cost far less: more of them keep the 10 ms /proc tick small.
    n=$COUNT; [ $m = psk ] && n=$((COUNT * 5))
    out=$("$LOAD" handshakes "$WORK" "$PORT" $t $m "$n" "$PID") || exit 1
    echo "$out" | grep -v '^KV '
    KV+=($(echo "$out" | sed -n 's/^KV //p'))
    stop
  done
  listen $t
  out=$("$LOAD" hold "$WORK" "$PORT" $t "$IDLE" "$PID") || exit 1
  echo "$out" | grep -v '^KV '
  KV+=($(echo "$out" | sed -n 's/^KV //p'))
  stop
done
echo "ASSOC_BENCH cert_handshakes=$COUNT psk_handshakes=$((COUNT * 5)) idle=$IDLE cores=$(nproc) ${KV[*]}"
