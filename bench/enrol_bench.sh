#!/usr/bin/env bash
# The enrolment benchmark: m2msecd (role MEF) against nginx terminating the same mutual
# TLS 1.2 with the same PKI, on 127.0.0.1. Not a test: it prints figures and one summary
# line "BENCH key=value ...". Usage: bench/enrol_bench.sh BIN_DIR (the directory holding
# m2msec, m2msecd, enrol_load and bench_seed, e.g. build/bin).
#
# Environment: BENCH_DURATION (s per load phase, 15), BENCH_THREADS (client threads, 16),
# BENCH_IDLE (idle connections, 10000), BENCH_ROWS (Ke rows of the large store, 1000000),
# BENCH_POOL (device certificates, 1000), BENCH_PERF=1 (perf record the MEF, if perf works),
# BENCH_COMMIT_DELAY_US (the MEF's commit_delay_us, 1000).
set -u
BIN=$(cd "${1:?usage: enrol_bench.sh BIN_DIR}" && pwd) || exit 2
DUR=${BENCH_DURATION:-15}
THREADS=${BENCH_THREADS:-16}
IDLE=${BENCH_IDLE:-10000}
ROWS=${BENCH_ROWS:-1000000}
POOL=${BENCH_POOL:-1000}
NPROC=$(nproc)
for p in m2msec m2msecd enrol_load bench_seed; do
  [ -x "$BIN/$p" ] || { echo "enrol_bench: $BIN/$p missing (build first)" >&2; exit 2; }
done

. "$(dirname "$0")/bench_lib.sh"
bench_init enrol_bench

# 10,000 idle connections need that many descriptors in the client and in the servers.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

say() { printf '\n== %s\n' "$*" >&2; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
stop_pid() {
  kill "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

# ---- the PKI, the KEK and the stores ----
say "PKI, $POOL device certificates (issued in memory by enrol_load), stores"
bench_pki
cat "$P/mef.cert.pem" "$P/sp.cert.pem" >"$P/mef.full.pem"
"$BIN/bench_seed" --store "sqlite:$W/small.db" --kek "$W/kek" --policy devices --keys 1000 ||
  exit 1

LOADARGS=(--gen-pool "$POOL" --ca-key "$P/mfr.key.pem" --ca-cert "$P/mfr.cert.pem"
  --ca "$P/root.cert.pem" --server-name mef.example.com --threads "$THREADS")

# mef_start DB: a fresh daemon on that store; sets MEF_PID and MEF_PORT.
mef_start() {
  MEF_PORT=$(free_port)
  bench_mef_conf "$W/mef.conf" "$1" "$MEF_PORT" "$NPROC" "log_level = info
timeout_ms = 600000
max_connections = 30000
commit_delay_us = ${BENCH_COMMIT_DELAY_US:-1000}"
  "$BIN/m2msecd" -c "$W/mef.conf" 2>>"$W/mef.log" &
  MEF_PID=$!
  PIDS+=("$MEF_PID")
  wait_port "$MEF_PORT" || { echo "enrol_bench: m2msecd did not start" >&2; tail "$W/mef.log" >&2; exit 1; }
}

# load LABEL PORT PID [args]: one load phase; prints the LOAD line's fields into $LAST.
load() {
  local label=$1 port=$2 pid=$3
  shift 3
  LAST=$("$BIN/enrol_load" "${LOADARGS[@]}" --port "$port" --pid "$pid" --label "$label" \
    --duration "$DUR" "$@" | grep '^LOAD ')
  [ -n "$LAST" ] || LAST="LOAD label=$label ok=0 err=-1 rate=0 srv_cpu_us=0 p50_ms=0 p99_ms=0"
}

# ---- 1. MEF, small store ----
say "MEF: enrolments for ${DUR}s, $THREADS client threads, $NPROC workers, 1,000 Ke rows"
mef_start "$W/small.db"
PERF_OK=0
if [ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null && perf stat -e instructions true >/dev/null 2>&1; then
  PERF_OK=1
  perf record -F 999 -g -o "$W/perf.data" -p "$(pgrep -d, -P "$MEF_PID")" -- sleep $((DUR + 1)) \
    >/dev/null 2>&1 &
  PERF_PID=$!
  PIDS+=("$PERF_PID")
fi
load mef_1k "$MEF_PORT" "$MEF_PID"
MEF=$LAST
if [ "$PERF_OK" = 1 ]; then
  wait "$PERF_PID"
  perf report -i "$W/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    grep -v '^#' | grep '%' | head -40 >"$W/perf.txt"
  cp "$W/perf.txt" "${BENCH_PERF_OUT:-/tmp/m2msec-bench-perf.txt}"
  echo "perf profile of the MEF workers: ${BENCH_PERF_OUT:-/tmp/m2msec-bench-perf.txt}" >&2
fi
stop_pid "$MEF_PID"

# ---- 2. nginx, same PKI, same generator ----
say "nginx: mutual TLS 1.2 handshakes + a small JSON answer for ${DUR}s"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y nginx-light || { apt-get update && apt-get install -y nginx-light; } ||
    apt-get install -y nginx; } >"$W/apt.log" 2>&1
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
NG="" NGIDLE=""
if [ -x "$NGINX" ]; then
  NG_PORT=$(free_port)
  mkdir -p "$W/nginx/tmp"
  cat >"$W/nginx/nginx.conf" <<CONF
worker_processes $NPROC;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections $(( $(ulimit -n) - 100 )); }
http {
  access_log $W/nginx/access.log;
  client_body_temp_path $W/nginx/tmp;
  proxy_temp_path $W/nginx/tmp;
  fastcgi_temp_path $W/nginx/tmp;
  uwsgi_temp_path $W/nginx/tmp;
  scgi_temp_path $W/nginx/tmp;
  client_header_timeout 600s;
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:$NG_PORT ssl;
    server_name mef.example.com;
    ssl_certificate $P/mef.full.pem;
    ssl_certificate_key $P/mef.key.pem;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256;
    ssl_prefer_server_ciphers on;
    ssl_ecdh_curve X25519:prime256v1;
    ssl_session_tickets off;
    ssl_session_cache off;
    ssl_verify_client on;
    ssl_verify_depth 3;
    ssl_client_certificate $P/root.cert.pem;
    location = /enrolment {
      default_type application/json;
      return 201 '{"keId":"00112233445566778899aabbccddeeff@mef.example.com","enroleeId":"//sp.example.com/CSE-1","expires":"20300101T000000"}';
    }
  }
}
CONF
  "$NGINX" -e "$W/nginx/error.log" -p "$W/nginx" -c "$W/nginx/nginx.conf" &
  NG_PID=$!
  PIDS+=("$NG_PID")
  if wait_port "$NG_PORT"; then
    load nginx "$NG_PORT" "$NG_PID"
    NG=$LAST
    say "nginx: memory at $IDLE idle TLS connections"
    NGIDLE=$("$BIN/enrol_load" "${LOADARGS[@]}" --port "$NG_PORT" --pid "$NG_PID" \
      --label nginx_idle --idle "$IDLE" --hold 2 | grep '^IDLE ')
  else
    echo "enrol_bench: nginx did not start" >&2
    cat "$W/nginx/error.log" >&2
  fi
  stop_pid "$NG_PID"
else
  echo "enrol_bench: nginx not installed (see $W/apt.log); skipping the comparison" >&2
fi

# ---- 3. MEF memory per idle connection ----
say "MEF: memory at $IDLE idle TLS connections (handshake done, no request)"
mef_start "$W/small.db"
MEFIDLE=$("$BIN/enrol_load" "${LOADARGS[@]}" --port "$MEF_PORT" --pid "$MEF_PID" \
  --label mef_idle --idle "$IDLE" --hold 2 | grep '^IDLE ')
stop_pid "$MEF_PID"

# ---- 4. MEF with a large store ----
say "MEF: seeding $ROWS Ke rows"
T0=$(date +%s)
"$BIN/bench_seed" --store "sqlite:$W/large.db" --kek "$W/kek" --policy devices --keys "$ROWS" ||
  exit 1
echo "seeded in $(($(date +%s) - T0)) s, $(du -m "$W/large.db" | cut -f1) MB" >&2
say "MEF: enrolments for ${DUR}s with $ROWS Ke rows"
mef_start "$W/large.db"
load mef_1m "$MEF_PORT" "$MEF_PID"
BIG=$LAST
stop_pid "$MEF_PID"

# ---- summary ----
MEF_CPU=$(field srv_cpu_us "$MEF")
NG_CPU=$(field srv_cpu_us "$NG")
RATIO=$(awk -v n="${NG_CPU:-0}" -v m="${MEF_CPU:-0}" 'BEGIN { printf "%.2f", (m > 0 ? n / m : 0) }')
R1K=$(field rate "$MEF")
R1M=$(field rate "$BIG")
R1MR=$(awk -v a="${R1K:-0}" -v b="${R1M:-0}" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
say "figures"
cat >&2 <<TXT
MEF    CPU per enrolment  ${MEF_CPU} us   rate $(field rate "$MEF")/s  p50 $(field p50_ms "$MEF") ms  p99 $(field p99_ms "$MEF") ms  errors $(field err "$MEF")
nginx  CPU per handshake  ${NG_CPU:-n/a} us   rate $(field rate "$NG")/s  p50 $(field p50_ms "$NG") ms  p99 $(field p99_ms "$NG") ms  errors $(field err "$NG")
ratio nginx/MEF           ${RATIO}   (target >= 1.0, goal >= 2.0)
idle memory per conn      MEF $(field kb_per_conn "$MEFIDLE") KB ($(field alive "$MEFIDLE") alive)   nginx $(field kb_per_conn "$NGIDLE") KB   (target <= 40 KB)
rate 1k / 1M Ke rows      ${R1K} / ${R1M} per s  (ratio ${R1MR}, target >= 0.90)   CPU ${MEF_CPU} / $(field srv_cpu_us "$BIG") us
TXT
echo "BENCH mef_cpu_us=${MEF_CPU:-0} nginx_cpu_us=${NG_CPU:-0} ratio=$RATIO" \
  "rate=$(field rate "$MEF") p50_ms=$(field p50_ms "$MEF") p99_ms=$(field p99_ms "$MEF")" \
  "errors=$(field err "$MEF") nginx_rate=$(field rate "$NG") nginx_p50_ms=$(field p50_ms "$NG")" \
  "nginx_p99_ms=$(field p99_ms "$NG") nginx_errors=$(field err "$NG")" \
  "idle_kb_per_conn=$(field kb_per_conn "$MEFIDLE") idle_alive=$(field alive "$MEFIDLE")" \
  "nginx_idle_kb_per_conn=$(field kb_per_conn "$NGIDLE")" \
  "rate_1k=$R1K rate_1m=$R1M ratio_1m=$R1MR cpu_1m_us=$(field srv_cpu_us "$BIG")" \
  "errors_1m=$(field err "$BIG")"
