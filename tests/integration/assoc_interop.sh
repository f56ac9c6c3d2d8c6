#!/usr/bin/env bash
# Interoperability of the association commands with peers nobody here wrote:
# `openssl s_client` (with a client certificate, or a PSK) against `m2msec listen`, and
# `m2msec connect` against `openssl s_server -Verify` (or -psk), over TLS 1.2 and DTLS 1.2.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/assoc_setup.sh"

command -v openssl >/dev/null || { echo "openssl not found"; exit 1; }
assoc_pki || { echo "PKI set-up failed"; exit 1; }
D=$T_DIR

# s_client_to_listen NAME TRANSPORT "LISTEN ARGS" S_CLIENT-ARGS...
s_client_to_listen() {
  local name="$1 ($2)" t=$2 largs=$3 dtls= ver=-tls1_2 out; shift 3
  [ "$t" = dtls ] && { dtls=--dtls; ver=-dtls1_2; }
  # shellcheck disable=SC2086
  start_listen l $dtls --id "$ID_B" --timeout 3000 $largs
  out=$(echo ping | timeout 10 openssl s_client $ver -connect "127.0.0.1:$L_PORT" \
        -servername cseb.sp.example.com -ign_eof -quiet "$@" 2>/dev/null)
  finish_listen
  S_OUT=$out
  S_NAME=$name
}

for t in tls dtls; do
  suite=ECDHE-ECDSA-AES128-SHA256; psk_suite=PSK-AES128-CBC-SHA256
  [ $t = dtls ] && { suite=ECDHE-ECDSA-AES128-CCM8; psk_suite=PSK-AES128-CCM8; }

  s_client_to_listen "s_client with a client certificate" $t \
    "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" \
    -cert "$D/a.cert.pem" -key "$D/a.key.pem" -CAfile "$D/root.cert.pem" -verify_return_error \
    -cipher "$suite"
  check_eq "$S_NAME: listen exit" "$L_RC" 0
  check_eq "$S_NAME: B bound" "$(head -1 "$D/l.out")" "bound peer $ID_A (cse-id)"
  check_eq "$S_NAME: B got line" "$(sed -n 2p "$D/l.out")" ping
  check_eq "$S_NAME: s_client got reply" "$S_OUT" pong

  s_client_to_listen "s_client with a chain" $t \
    "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" \
    -cert "$D/a_sub.cert.pem" -key "$D/a_sub.key.pem" -cert_chain "$D/sub.cert.pem" \
    -CAfile "$D/root.cert.pem" -verify_return_error
  check_eq "$S_NAME: B bound" "$(head -1 "$D/l.out")" "bound peer $ID_A (cse-id)"

  s_client_to_listen "s_client with a PSK" $t \
    "--psk-file $D/psk_good.json --peer-id $ID_A --psk-identity $KPSA_ID" \
    -psk "$KPSA_KEY" -psk_identity "$KPSA_ID" -cipher "$psk_suite"
  check_eq "$S_NAME: B bound" "$(head -1 "$D/l.out")" "bound peer $ID_A (psk)"
  check_eq "$S_NAME: s_client got reply" "$S_OUT" pong

  s_client_to_listen "s_client without a client certificate" $t \
    "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" -CAfile "$D/root.cert.pem"
  check_fails "$S_NAME: listen refuses" test "$L_RC" -eq 0
  check_fails "$S_NAME: nothing bound" grep -q '^bound' "$D/l.out"

  s_client_to_listen "s_client from a foreign root" $t \
    "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" \
    -cert "$D/a_other.cert.pem" -key "$D/a_other.key.pem" -CAfile "$D/root.cert.pem"
  check_match "$S_NAME: listen names the check" "$(cat "$D/l.err")" 'cert-untrusted'
done

# ---- m2msec connect against openssl s_server ----
# connect_to_s_server NAME TRANSPORT "CONNECT ARGS" S_SERVER-ARGS...
connect_to_s_server() {
  local name="$1 ($2)" t=$2 cargs=$3 dtls= ver=-tls1_2 proto=tcp feeder srv i; shift 3
  [ "$t" = dtls ] && { dtls=--dtls; ver=-dtls1_2; proto=udp; }
  L_PORT=$(free_port $proto)
  rm -f "$D/fifo"; mkfifo "$D/fifo"
  # s_server ends at EOF on stdin: a bounded writer holds the FIFO open.
  (echo pong; sleep 8) >"$D/fifo" & feeder=$!
  T_PIDS+=("$feeder")
  timeout 10 openssl s_server $ver -accept "127.0.0.1:$L_PORT" -naccept 1 -quiet "$@" \
    <"$D/fifo" >"$D/s.out" 2>"$D/s.err" & srv=$!
  T_PIDS+=("$srv")
  wait_for_port "$L_PORT" $proto
  # shellcheck disable=SC2086
  echo ping | timeout 10 "$M2M" connect $dtls --host 127.0.0.1 --port "$L_PORT" --once \
    --id "$ID_A" --timeout 3000 $cargs >"$D/c.out" 2>"$D/c.err"
  C_RC=$?
  for i in $(seq 60); do kill -0 "$srv" 2>/dev/null || break; sleep 0.05; done
  kill "$srv" "$feeder" 2>/dev/null; wait "$srv" "$feeder" 2>/dev/null
  C_NAME=$name
}

for t in tls dtls; do
  connect_to_s_server "connect to s_server -Verify" $t \
    "$(cred a) --peer-id $ID_B --peer-root $D/root.cert.pem" \
    -cert "$D/b.cert.pem" -key "$D/b.key.pem" -CAfile "$D/root.cert.pem" -Verify 1 \
    -verify_return_error
  check_eq "$C_NAME: connect exit" "$C_RC" 0
  check_eq "$C_NAME: A bound" "$(head -1 "$D/c.out")" "bound peer $ID_B (cse-id)"
  check_eq "$C_NAME: A got reply" "$(sed -n 2p "$D/c.out")" pong
  check_match "$C_NAME: s_server got line" "$(cat "$D/s.out")" ping

  connect_to_s_server "connect with a chain to s_server -Verify" $t \
    "$(cred a_sub sub) --peer-id $ID_B --peer-root $D/root.cert.pem" \
    -cert "$D/b_sub.cert.pem" -key "$D/b_sub.key.pem" -cert_chain "$D/sub.cert.pem" \
    -CAfile "$D/root.cert.pem" -Verify 2 -verify_return_error
  check_eq "$C_NAME: A bound" "$(head -1 "$D/c.out")" "bound peer $ID_B (cse-id)"

  connect_to_s_server "connect with a PSK to s_server -psk" $t \
    "--psk-file $D/psk_good.json --peer-id $ID_B --psk-identity $KPSA_ID" \
    -nocert -psk "$KPSA_KEY" -psk_identity "$KPSA_ID"
  check_eq "$C_NAME: A bound" "$(head -1 "$D/c.out")" "bound peer $ID_B (psk)"
  check_eq "$C_NAME: A got reply" "$(sed -n 2p "$D/c.out")" pong

  connect_to_s_server "connect to an s_server with the wrong name" $t \
    "$(cred a) --peer-id $ID_B --peer-root $D/root.cert.pem" \
    -cert "$D/x.cert.pem" -key "$D/x.key.pem" -CAfile "$D/root.cert.pem" -Verify 1
  check_fails "$C_NAME: connect fails" test "$C_RC" -eq 0
  check_match "$C_NAME: names the check" "$(cat "$D/c.err")" '^m2msec connect: cert-name: '
done

t_done
