#!/usr/bin/env bash
# Several worker processes on one port (SO_REUSEPORT): enrolments are served by more than
# one worker, a worker that dies is replaced, and SIGTERM drains and stops them all.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
MEF_WORKERS=2 mef_config "$(free_port)"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 >/dev/null ||
  fail "register device"
mef_start || { fail "daemon starts"; t_done; exit 1; }
workers() { pgrep -P "$MEF_PID" | sort; }
for _ in $(seq 1 100); do [ "$(workers | wc -l)" -eq 2 ] && break; sleep 0.05; done
check_eq "two worker processes" "$(workers | wc -l)" 2

REQ='{"certEnrolment":false,"mafEnrolment":true,"remoteManagement":false}'
enrol_curl() {
  curl -s -o /dev/null -w '%{http_code}' --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" \
    --cert "$P/dev.full.pem" --key "$P/dev.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
    -H 'Content-Type: application/json' -d "$REQ" "https://mef.example.com:$MEF_PORT/enrolment"
}
good=0
for i in $(seq 1 24); do [ "$(enrol_curl)" = 201 ] && good=$((good + 1)); done
check_eq "24 enrolments answered" "$good" 24
# Each connection comes from a new source port, which SO_REUSEPORT hashes to a worker: the
# chance that 24 all land on one of two workers is 2^-23.
served=$(grep -o 'm2msecd\[[0-9]*\] info: 127.0.0.1:[0-9]*: enrolled' "$T_DIR/mef.log" | sed 's/\].*//' | sort -u | wc -l)
check_eq "enrolments spread over both workers" "$served" 2

victim=$(workers | head -n 1)
kill -9 "$victim"
t0=$(date +%s%N)
for _ in $(seq 1 300); do
  [ "$(workers | wc -l)" -eq 2 ] && ! workers | grep -qx "$victim" && break
  sleep 0.1
done
if [ "$(workers | wc -l)" -eq 2 ] && ! workers | grep -qx "$victim"; then
  ok "a killed worker is replaced ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
  fail "worker not replaced: $(workers | tr '\n' ' ')"
fi
check_eq "enrolment after the replacement" "$(enrol_curl)" 201

kill -TERM "$MEF_PID"
for _ in $(seq 1 150); do kill -0 "$MEF_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$MEF_PID" 2>/dev/null; then
  fail "SIGTERM stops the daemon"
  pkill -9 -P "$MEF_PID"; kill -9 "$MEF_PID"   # never leave the wait below unbounded
else
  ok "SIGTERM stops the daemon"
fi
wait "$MEF_PID"
check_eq "exit status after SIGTERM" "$?" 0
check_eq "no worker left" "$(pgrep -f "m2msecd -c $T_DIR/mef.conf" | wc -l)" 0
t_done
