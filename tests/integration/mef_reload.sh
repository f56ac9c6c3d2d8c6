#!/usr/bin/env bash
# SIGHUP reloads trust anchors and CRLs: a device certificate revoked after the MEF started
# is refused once the MEF is told to reload, while other devices keep enrolling; a broken
# CRL file on reload keeps the previous trust in force.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
CRLS="$T_DIR/crls"
mkdir -p "$CRLS"
"$M2M" pki crl --issuer "$P/root" --out "$CRLS/root.crl.pem" >/dev/null
"$M2M" pki crl --issuer "$P/mfr" --out "$CRLS/mfr.crl.pem" >/dev/null
mef_config "$(free_port)"
sed -i "/^\[trust.devices\]/a crls = $CRLS" "$T_DIR/mef.conf"
for n in dev dev2; do
  id=$("$M2M" pki show "$P/$n.cert.pem" | sed -n 's/^device *//p' | head -n 1)
  mef_admin --sp-id //sp.example.com enrolee add --id "/CSE-$n" --flavour device \
    --identity "$id" --trust-set devices --lifetime 3600 >/dev/null || fail "register $n"
done
mef_start || { fail "daemon starts"; t_done; exit 1; }
REQ='{"certEnrolment":false,"mafEnrolment":true,"remoteManagement":false}'

s_enrol "$T_DIR/a" dev2 "$REQ"
check_eq "dev2 enrols before the revocation" "$(t_status "$T_DIR/a")" 201
"$M2M" pki revoke --issuer "$P/mfr" --cert "$P/dev2.cert.pem" --crl-out "$CRLS/mfr.crl.pem" >/dev/null
s_enrol "$T_DIR/b" dev2 "$REQ"
check_eq "revocation not yet loaded: dev2 still enrols" "$(t_status "$T_DIR/b")" 201
kill -HUP "$MEF_PID"
for _ in $(seq 1 100); do grep -q "mef: reloaded" "$T_DIR/mef.log" && break; sleep 0.05; done
check_match "reload logged" "$(cat "$T_DIR/mef.log")" 'mef: reloaded'
s_enrol "$T_DIR/c" dev2 "$REQ"
check_empty "after SIGHUP the revoked certificate fails the handshake" "$(t_status "$T_DIR/c")"
s_enrol "$T_DIR/d" dev "$REQ"
check_eq "other devices still enrol" "$(t_status "$T_DIR/d")" 201

echo "garbage" >"$CRLS/mfr.crl.pem"
kill -HUP "$MEF_PID"
for _ in $(seq 1 100); do grep -q "keeping the previous anchors" "$T_DIR/mef.log" && break; sleep 0.05; done
check_match "a broken CRL is refused and logged" "$(cat "$T_DIR/mef.log")" 'keeping the previous anchors'
s_enrol "$T_DIR/e" dev "$REQ"
check_eq "the previous trust stays in force" "$(t_status "$T_DIR/e")" 201
s_enrol "$T_DIR/f" dev2 "$REQ"
check_empty "and still refuses the revoked certificate" "$(t_status "$T_DIR/f")"
kill -0 "$MEF_PID" 2>/dev/null && ok "daemon still running" || fail "daemon still running"
mef_stop
t_done
