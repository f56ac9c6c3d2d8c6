#!/usr/bin/env bash
# The CoAPS enrolment benchmark: one m2msecd (role MEF, one worker: libcoap 4.3.1 binds its
# UDP socket without SO_REUSEPORT) serving enrolments over HTTPS and then over CoAPS in the
# same run, with the same PKI, store and device certificates. Not a test: it prints one
# summary line "BENCH key=value ...". Usage: bench/coap_bench.sh BIN_DIR (e.g. build/bin).
#
# Environment: BENCH_DURATION (s per phase, 10), BENCH_THREADS (client threads, 8),
# BENCH_POOL (device certificates, 200).
set -u
BIN=$(cd "${1:?usage: coap_bench.sh BIN_DIR}" && pwd) || exit 2
DUR=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-8}
POOL=${BENCH_POOL:-200}
for p in m2msec m2msecd enrol_load coap_load bench_seed; do
  [ -x "$BIN/$p" ] || { echo "coap_bench: $BIN/$p missing (build first)" >&2; exit 2; }
done
. "$(dirname "$0")/bench_lib.sh"
bench_init coap_bench

bench_pki
"$BIN/bench_seed" --store "sqlite:$W/mef.db" --kek "$W/kek" --policy devices --keys 1000 >/dev/null || exit 1
PORT=$(free_port tcp)
CPORT=$(free_port udp)
bench_mef_conf "$W/mef.conf" "$W/mef.db" "$PORT" 1 "log_level = warn
timeout_ms = 60000" \
  "coaps_listen = 127.0.0.1:$CPORT"
"$BIN/m2msecd" -c "$W/mef.conf" 2>>"$W/mef.log" &
MEF_PID=$!
PIDS+=("$MEF_PID")
for _ in $(seq 100); do ss -Hlun "sport = :$CPORT" | grep -q . && break; sleep 0.1; done

echo "== HTTPS: ${DUR}s, $THREADS client threads, 1 worker" >&2
H=$("$BIN/enrol_load" --gen-pool "$POOL" --ca-key "$P/mfr.key.pem" --ca-cert "$P/mfr.cert.pem" \
  --ca "$P/root.cert.pem" --server-name mef.example.com --threads "$THREADS" --port "$PORT" \
  --pid "$MEF_PID" --label https --duration "$DUR" | grep '^LOAD ')
echo "$H" >&2
echo "== CoAPS: ${DUR}s, $THREADS client threads, same daemon" >&2
C=$("$BIN/coap_load" --gen-pool "$POOL" --ca-key "$P/mfr.key.pem" --ca-cert "$P/mfr.cert.pem" \
  --ca "$P/root.cert.pem" --server-name mef.example.com --threads "$THREADS" --port "$CPORT" \
  --pid "$MEF_PID" --label coaps --duration "$DUR" | grep '^LOAD ')
echo "$C" >&2
hc=$(field srv_cpu_us "$H"); cc=$(field srv_cpu_us "$C")
hp=$(python3 -c 'import sys; c=float(sys.argv[1] or 0); print("%.0f" % (1e6/c if c else 0))' "$hc")
cp=$(field per_cpu_s "$C")
ratio=$(python3 -c 'import sys; a=float(sys.argv[1] or 0); b=float(sys.argv[2] or 0); print("%.2f" % (b/a if a else 0))' "$hp" "$cp")
echo "BENCH https_cpu_us=$hc https_per_cpu_s=$hp https_rate=$(field rate "$H") https_errors=$(field err "$H") coaps_cpu_us=$cc coaps_per_cpu_s=$cp coaps_rate=$(field rate "$C") coaps_errors=$(field err "$C") coaps_p50_ms=$(field p50_ms "$C") coaps_p99_ms=$(field p99_ms "$C") coaps_over_https=$ratio"
