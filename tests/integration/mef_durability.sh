#!/usr/bin/env bash
# Nothing acknowledged is lost: a stream of enrolments, the daemon killed with SIGKILL in the
# middle, restarted on the same store; every KeID a client received an answer for can be
# fetched afterwards.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
mef_config "$(free_port)"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 >/dev/null ||
  fail "register device"
mef_admin target add --id maf.example.com >/dev/null && \
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "target"
mef_start || { fail "daemon starts"; t_done; exit 1; }

REQ='{"certEnrolment":false,"mafEnrolment":true,"remoteManagement":false}'
: >"$T_DIR/received"
(
  for i in $(seq 1 60); do
    s_enrol "$T_DIR/s$i" dev "$REQ"
    # Only an answer the client received counts; the stream ends with the daemon.
    [ "$(t_status "$T_DIR/s$i")" = 201 ] || break
    jget "$(t_body "$T_DIR/s$i")" keId >>"$T_DIR/received"
  done
) &
STREAM=$!
# Kill once a few answers have arrived, while the stream is still running.
for _ in $(seq 1 200); do
  [ "$(wc -l <"$T_DIR/received")" -ge 5 ] && break
  sleep 0.05
done
kill -9 "$MEF_PID"
wait "$MEF_PID" 2>/dev/null
wait "$STREAM" 2>/dev/null
N=$(wc -l <"$T_DIR/received")
if [ "$N" -ge 5 ] && [ "$N" -lt 60 ]; then ok "killed mid-stream after $N answered enrolments"; else fail "stream not interrupted ($N answered)"; fi

mef_start || { fail "daemon restarts on the same store"; t_done; exit 1; }
lost=0
while read -r keid; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" \
    --cert "$P/maf.full.pem" --key "$P/maf.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
    -H "X-M2M-Origin: maf.example.com" "https://mef.example.com:$MEF_PORT/fetchCredentials/$keid/21")
  [ "$code" = 200 ] || lost=$((lost + 1))
done <"$T_DIR/received"
check_eq "every answered enrolment survives SIGKILL ($N fetched)" "$lost" 0
mef_stop
t_done
