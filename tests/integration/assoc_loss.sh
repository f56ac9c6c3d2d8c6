#!/usr/bin/env bash
# DTLS 1.2 associations through a relay that drops 25% of the datagrams in each direction:
# cookie exchange, retransmission timers (RFC 6347 4.2.4) and the per-peer socket must
# still complete the handshake, with certificates and with a PSK. (Application data over
# DTLS is not retransmitted, so only the handshake's outcome is checked.)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/assoc_setup.sh"

RELAY="$(dirname "$0")/lib/udp_loss_relay.py"
LOSS=0.25
L_TIMEOUT=40
assoc_pki || { echo "PKI set-up failed"; exit 1; }
D=$T_DIR

# lossy NAME SEED "LISTEN ARGS" "CONNECT ARGS" A-FLAVOUR
lossy() {
  local name=$1 relay_port relay_pid
  # shellcheck disable=SC2086
  start_listen l --dtls --id "$ID_B" --timeout 30000 --idle-timeout 15000 $3
  relay_port=$(free_port udp)
  python3 "$RELAY" "$relay_port" "$L_PORT" "$LOSS" "$2" "$D/relay.stats" & relay_pid=$!
  T_PIDS+=("$relay_pid")
  wait_for_port "$relay_port" udp
  # shellcheck disable=SC2086
  echo ping | timeout 35 "$M2M" connect --dtls --host 127.0.0.1 --port "$relay_port" \
    --id "$ID_A" --timeout 30000 $4 >"$D/c.out" 2>"$D/c.err"
  C_RC=$?
  finish_listen
  kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null
  check_eq "$name: connect exit" "$C_RC" 0
  check_eq "$name: A bound" "$(head -1 "$D/c.out")" "bound peer $ID_B ($5)"
  check_eq "$name: B bound" "$(head -1 "$D/l.out")" "bound peer $ID_A ($5)"
  check_match "$name: the relay dropped datagrams" "$(cat "$D/relay.stats" 2>/dev/null)" \
    'dropped=[1-9]'
  [ "$C_RC" -eq 0 ] || cat "$D/c.err" "$D/l.err"
}

# The seeds fix which datagrams are lost; each run loses part of the handshake itself
# (ClientHellos, HelloVerifyRequests, whole flights) yet finishes within a few seconds. (The
# listener keeps reading after its side is done: a client whose last flight got no answer
# resends it, and the listener answers from the association.)
lossy "certificates, 25% loss" 3 "$(cred b_sub sub) --peer-id $ID_A --peer-root $D/root.cert.pem" \
  "$(cred a_sub sub) --peer-id $ID_B --peer-root $D/root.cert.pem" cse-id
lossy "certificates, 25% loss, another pattern" 9 \
  "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" \
  "$(cred a) --peer-id $ID_B --peer-root $D/root.cert.pem" cse-id
lossy "PSK, 25% loss" 2 "--psk-file $D/psk_good.json --peer-id $ID_A --psk-identity $KPSA_ID" \
  "--psk-file $D/psk_good.json --peer-id $ID_B --psk-identity $KPSA_ID" psk

t_done
