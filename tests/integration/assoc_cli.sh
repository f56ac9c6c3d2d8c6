#!/usr/bin/env bash
# m2msec connect (Entity A) against m2msec listen (Entity B), over TLS and DTLS: every
# combination of chains, self-signed roots of trust, CSE-ID and AE-ID certificates and PSK
# must bind the right ids on both ends; every refusal must fail the handshake with one
# line naming the failed check.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/assoc_setup.sh"

assoc_pki || { echo "PKI set-up failed"; exit 1; }
D=$T_DIR

# positive NAME TRANSPORT "LISTEN ARGS" "CONNECT ARGS" A-ID FLAVOUR-AT-B FLAVOUR-AT-A
positive() {
  local name="$1 ($2)" dtls=
  [ "$2" = dtls ] && dtls=--dtls
  # shellcheck disable=SC2086
  start_listen l $dtls --id "$ID_B" $3
  # shellcheck disable=SC2086
  run_connect c $dtls --id "$5" $4
  finish_listen
  check_eq "$name: connect exit" "$C_RC" 0
  check_eq "$name: listen exit" "$L_RC" 0
  check_eq "$name: A bound" "$(head -1 "$D/c.out")" "bound peer $ID_B ($7)"
  check_eq "$name: A got reply" "$(sed -n 2p "$D/c.out")" pong
  check_eq "$name: B bound" "$(head -1 "$D/l.out")" "bound peer $5 ($6)"
  check_eq "$name: B got line" "$(sed -n 2p "$D/l.out")" ping
}

# negative NAME TRANSPORT "LISTEN ARGS" "CONNECT ARGS" SIDE PATTERN
# SIDE (listen|connect) must fail with one line matching PATTERN.
negative() {
  local name="$1 ($2)" dtls= rc err
  [ "$2" = dtls ] && dtls=--dtls
  # shellcheck disable=SC2086
  start_listen l $dtls --id "$ID_B" --timeout 1500 $3
  # shellcheck disable=SC2086
  run_connect c $dtls --id "$ID_A" --timeout 1500 $4
  finish_listen
  check_fails "$name: connect fails" test "$C_RC" -eq 0
  if [ "$5" = listen ]; then rc=$L_RC; err=$(grep -v 'listening on' "$D/l.err"); else rc=$C_RC; err=$(cat "$D/c.err"); fi
  check_fails "$name: $5 exits non-zero" test "$rc" -eq 0
  check_eq "$name: one line" "$(printf '%s\n' "$err" | grep -c .)" 1
  check_match "$name: names the check" "$err" "$6"
  check_fails "$name: nothing bound at B" grep -q "^bound" "$D/l.out"
}

B_SEES_A="--peer-id $ID_A --peer-root $D/root.cert.pem"
A_SEES_B="--peer-id $ID_B --peer-root $D/root.cert.pem"
for t in tls dtls; do
  positive "no chains" $t "$(cred b) $B_SEES_A" "$(cred a) $A_SEES_B" "$ID_A" cse-id cse-id
  positive "A sends a chain" $t "$(cred b) $B_SEES_A" "$(cred a_sub sub) $A_SEES_B" "$ID_A" cse-id cse-id
  positive "B sends a chain" $t "$(cred b_sub sub) $B_SEES_A" "$(cred a) $A_SEES_B" "$ID_A" cse-id cse-id
  positive "both send chains" $t "$(cred b_sub sub) $B_SEES_A" "$(cred a_sub sub) $A_SEES_B" "$ID_A" cse-id cse-id
  positive "self-signed, root of trust = itself" $t \
    "$(cred b_self) --peer-id $ID_A --peer-root $D/a_self.cert.pem" \
    "$(cred a_self) --peer-id $ID_B --peer-root $D/b_self.cert.pem" "$ID_A" cse-id cse-id
  positive "AE-ID certificate at A" $t \
    "$(cred b) --peer-id $ID_AE --peer-flavour ae-id --peer-root $D/root.cert.pem" \
    "$(cred ae) $A_SEES_B" "$ID_AE" ae-id cse-id
  positive "PSK" $t "--psk-file $D/psk_good.json --peer-id $ID_A --psk-identity $KPSA_ID" \
    "--psk-file $D/psk_good.json --peer-id $ID_B --psk-identity $KPSA_ID" "$ID_A" psk psk

  negative "wrong CertNameB at A" $t "$(cred b) $B_SEES_A" \
    "$(cred a) $A_SEES_B --peer-name wrong.sp.example.com" connect 'cert-name'
  negative "wrong RootOfTrustA at B" $t "$(cred b) --peer-id $ID_A --peer-root $D/root.cert.pem" \
    "$(cred a_other) $A_SEES_B" listen 'cert-untrusted'
  negative "revoked peer" $t "$(cred b) $B_SEES_A --peer-crl $D/root.crl.pem" \
    "$(cred a_revoked) $A_SEES_B" listen 'cert-revoked'
  negative "expired peer" $t "$(cred b) $B_SEES_A" "$(cred a_expired) $A_SEES_B" listen 'cert-expired'
  negative "peer not in the allowed list" $t "$(cred b) $B_SEES_A" "$(cred x) $A_SEES_B" \
    listen 'allowed list'
  negative "unknown PSK identity" $t "--psk-file $D/psk_good.json --peer-id $ID_A --psk-identity $KPSA_ID" \
    "--psk-file $D/psk_unknown.json --peer-id $ID_B --psk-identity ffeeddccbbaa99887766554433221100@sp.example.com" \
    listen 'psk-unknown'
  negative "PSK with a wrong key" $t "--psk-file $D/psk_good.json --peer-id $ID_A --psk-identity $KPSA_ID" \
    "--psk-file $D/psk_wrong.json --peer-id $ID_B --psk-identity $KPSA_ID" listen 'wrong key'
done

# The PSK file holds secrets: group/world-readable files are refused before any network use.
chmod 0644 "$D/psk_good.json"
out=$("$M2M" connect --port 1 --psk-file "$D/psk_good.json" --peer-id "$ID_B" \
      --psk-identity "$KPSA_ID" 2>&1)
check_match "PSK file 0644 refused" "$out" 'file-mode.*0600'
chmod 0600 "$D/psk_good.json"
check_fails "usage error without a credential" "$M2M" connect --port 1 --peer-id "$ID_B"
check "connect --help" "$M2M" connect --help
check "listen --help" "$M2M" listen --help

t_done
