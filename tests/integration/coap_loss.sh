#!/usr/bin/env bash
# CoAPS enrolment under datagram loss and a flood of cookie-less ClientHellos (docs/coap.md):
# through a relay dropping a share of the datagrams in both directions, m2msec enrol --coap
# still completes (DTLS retransmits its flights, CoAP its confirmable messages, the MEF
# answers a repeated request once); a flood of ClientHellos without a cookie gets
# HelloVerifyRequests only, and creates no session, no descriptor and no memory growth.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/coap_fixture.sh"

# Under AddressSanitizer freed memory waits in a quarantine; without it, resident memory
# shows what the daemon keeps.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
RELAY="$(dirname "$0")/lib/udp_loss_relay.py"
FLOOD="$(dirname "$0")/lib/dtls_hello_flood.py"
mef_pki
mef_config "$(free_port)"
coap_mef_enable "$(free_port udp)"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com >/dev/null || fail "register device"
mef_admin target add --id maf.example.com >/dev/null &&
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "target"
mef_start || { fail "daemon starts"; t_done; exit 1; }
wait_for_port "$COAP_PORT" udp 200 || fail "CoAPS listener bound"
ENROLS=0
ATTEMPTS=0

fetch_km() {
  curl -s --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" --cert "$P/maf.full.pem" \
    --key "$P/maf.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
    -H "X-M2M-Origin: maf.example.com" "https://mef.example.com:$MEF_PORT/fetchCredentials/$1/21" |
    python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["credential"]).hex())'
}
km_of() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k["key"] for k in d["keys"] if k["type"]=="Km"))' "$1"
}

# lossy NAME LOSS SEED: one enrolment through the relay.
lossy() {
  local name=$1 relay_port relay_pid out state="$T_DIR/state-$3"
  ATTEMPTS=$((ATTEMPTS + 1))
  relay_port=$(free_port udp)
  python3 "$RELAY" "$relay_port" "$COAP_PORT" "$2" "$3" "$T_DIR/relay.stats" & relay_pid=$!
  T_PIDS+=("$relay_pid")
  wait_for_port "$relay_port" udp
  out=$(timeout 100 "$M2M" enrol --coap --mef "coaps://127.0.0.1:$relay_port" --mef-name mef.example.com \
    --mef-root "$P/root.cert.pem" --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" \
    --chain "$P/dev.chain.pem" --state "$state" --timeout 90 --json 2>"$T_DIR/err")
  local rc=$?
  kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null
  if [ $rc -eq 0 ]; then ok "$name: enrolment completed"; ENROLS=$((ENROLS + 1)); else fail "$name: $(cat "$T_DIR/err")"; return; fi
  check_match "$name: the relay dropped datagrams" "$(cat "$T_DIR/relay.stats" 2>/dev/null)" 'dropped=[1-9]'
  check_eq "$name: Km a MAF fetches = stored Km" "$(fetch_km "$(jget "$out" keId)")" "$(km_of "$state")"
}
lossy "25% loss" 0.25 3
lossy "25% loss, another pattern" 0.25 11
# The separate response (after the durable write) and the acknowledgement's ACK lost: the
# client repeats its request, which must not enrol twice on one session.
lossy "scripted: ClientHello, first answer and an ACK lost" "@1,9,10,13" 5
check_eq "one Ke per completed enrolment" \
  "$(mef_admin keys list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$ENROLS"

# --- cookie flood: stateless HelloVerifyRequests, no session, no descriptor, no memory ---
fds() { ls /proc/"$MEF_PID"/fd | wc -l; }
rss() { awk '/^VmRSS/ {print $2}' /proc/"$MEF_PID"/status; }
fd0=$(fds); rss0=$(rss)
out=$(python3 "$FLOOD" "$COAP_PORT" 2000 200)
check_match "flood: answered with HelloVerifyRequests only" "$out" '^sent=2000 hello_verify=[1-9][0-9]* other=0$'
check_eq "flood: no descriptor opened" "$(fds)" "$fd0"
growth=$(($(rss) - rss0))
if [ "$growth" -lt 1024 ]; then ok "flood: resident memory grew ${growth} KiB (< 1 MiB)"; else fail "flood: resident memory grew ${growth} KiB"; fi
mef_stop
check_match "flood: no DTLS session was created for it" "$(cat "$T_DIR/mef.log")" \
  "mef coaps: $ATTEMPTS DTLS sessions past the cookie exchange"
held=$(sed -n 's/.*client addresses seen, \([0-9]*\) held at exit.*/\1/p' "$T_DIR/mef.log" | tail -n 1)
if [ -n "$held" ] && [ "$held" -le 110 ]; then ok "flood: at most 100 address placeholders held (${held})"; else fail "flood: placeholders held: '${held}'"; fi
t_done
