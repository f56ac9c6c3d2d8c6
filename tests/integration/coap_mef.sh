#!/usr/bin/env bash
# The MEF over CoAP with DTLS (docs/coap.md): libcoap's own coap-client-openssl enrols with a
# device certificate and with a PSK (answered with a keId), m2msec enrol --coap does the
# same and checks the keId against the DTLS exporter, and a MAF fetching over HTTPS gets
# the Km the CoAPS enrolee derived; an answer too large for one message arrives block-wise.
# Negatives: unregistered device, rogue certificate,
# unknown and wrong PSK, malformed JSON, unknown path, an oversized block-wise body.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/coap_fixture.sh"

command -v coap-client-openssl >/dev/null || { fail "coap-client-openssl installed (libcoap3-bin)"; t_done; exit 1; }
mef_pki
mef_config "$(free_port)"
coap_mef_enable "$(free_port udp)"
# Kpm of printable characters: coap-client's -k takes the key as text.
KPM_TEXT='coap-enrolee-kpm-0123456789abcde'
KPM=$(printf %s "$KPM_TEXT" | od -An -tx1 | tr -d ' \n')
ANCHORS="$T_DIR/anchors.pem"
cat "$P/root.cert.pem" "$P/sp.cert.pem" "$P/mfr.cert.pem" "$P/rogue.cert.pem" >"$ANCHORS"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com --maf-uri https://127.0.0.1:8444 >/dev/null || fail "register device"
# dev2's answer carries four trust anchors: larger than one CoAP message (Block2), and sent
# as a separate response (after the durable write), which m2msec reassembles itself.
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1002 --flavour device \
  --identity 0.2.481.1.100.3030.20022 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com --maf-anchor "$ANCHORS" >/dev/null || fail "register device 2"
mef_admin --sp-id //sp.example.com psk add --kpm-id kpm-c@mef.example.com --enrolee-id /CSE2002 \
  --kpm-hex "$KPM" --maf-id maf.example.com >/dev/null || fail "register PSK enrolee"
mef_admin target add --id maf.example.com >/dev/null &&
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "target"
# --- configuration: coaps_listen values the daemon refuses ---
conf_with() { # SED-EXPR -> a copy of mef.conf, checked with --check
  sed "$1" "$T_DIR/mef.conf" >"$T_DIR/bad.conf"
  "$M2MD" -c "$T_DIR/bad.conf" --check 2>&1
}
out=$(conf_with 's/^workers = .*/workers = 2/'); rc=$?
check_match "coaps_listen with workers = 2: refused, says why" "$rc: $out" '^[1-9][0-9]*: .*coaps_listen needs workers = 1'
out=$(conf_with 's/^coaps_listen = .*/coaps_listen = 127.0.0.1:0/'); rc=$?
check_match "coaps_listen port 0: refused" "$rc: $out" "^[1-9][0-9]*: .*coaps_listen = '127.0.0.1:0' is not valid"
out=$(conf_with 's/^coaps_listen = .*/coaps_listen = 127.0.0.1:99999/'); rc=$?
check_match "coaps_listen port out of range: refused" "$rc: $out" "^[1-9][0-9]*: .*coaps_listen"
out=$(conf_with 's/^coaps_listen = .*/coaps_listen = none/'); rc=$?
check_match "coaps_listen = none: valid, CoAPS off" "$rc: $out" '^0: m2msecd: .* is valid'

mef_start || { fail "daemon starts"; t_done; exit 1; }
wait_for_port "$COAP_PORT" udp 200 || fail "CoAPS listener bound"
check_match "the log names the CoAPS listener" "$(cat "$T_DIR/mef.log")" "CoAPS on 127.0.0.1:$COAP_PORT"
URL="coaps://127.0.0.1:$COAP_PORT"
REQ='{"certEnrolment":false,"mafEnrolment":true,"remoteManagement":false}'
DEV=(-c "$P/dev.cert.pem" -j "$P/dev.key.pem" -R "$P/root.cert.pem")
nkeys() { mef_admin keys list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# --- coap-client, device certificate ---
coap_cli "$T_DIR/c1" -m post -t 50 -e "$REQ" "${DEV[@]}" "$URL/enrolment"
BODY=$(coap_json "$T_DIR/c1")
check_eq "coap-client (certificate): answered with a body, no error code" "$(coap_code "$T_DIR/c1")" 2.xx
check_match "coap-client (certificate): keId" "$(jget "$BODY" keId 2>/dev/null)" '^[0-9a-f]{32}@mef.example.com$'
check_eq "coap-client (certificate): Enrolee-ID" "$(jget "$BODY" enroleeId 2>/dev/null)" //sp.example.com/CSE1001

# --- coap-client, PSK ---
coap_cli "$T_DIR/c2" -m post -t 50 -e "$REQ" -u kpm-c@mef.example.com -k "$KPM_TEXT" "$URL/enrolment"
BODY=$(coap_json "$T_DIR/c2")
check_match "coap-client (PSK): keId" "$(jget "$BODY" keId 2>/dev/null)" '^[0-9a-f]{32}@mef.example.com$'
check_eq "coap-client (PSK): Enrolee-ID" "$(jget "$BODY" enroleeId 2>/dev/null)" //sp.example.com/CSE2002

# --- refusals: CoAP code, errorString, nothing stored ---
before=$(nkeys)
coap_cli "$T_DIR/n1" -m post -t 50 -e "$REQ" -c "$P/unreg.cert.pem" -j "$P/unreg.key.pem" \
  -R "$P/root.cert.pem" "$URL/enrolment"
check_eq "unregistered device: 4.03" "$(coap_code "$T_DIR/n1")" 4.03
check_match "unregistered device: errorString" "$(cat "$T_DIR/n1")" 'not a registered enrolee'
coap_cli "$T_DIR/n2" -m post -t 50 -e '{"certEnrolment":' "${DEV[@]}" "$URL/enrolment"
check_eq "malformed JSON: 4.00" "$(coap_code "$T_DIR/n2")" 4.00
coap_cli "$T_DIR/n3" -m post -t 50 -e "$REQ" "${DEV[@]}" "$URL/no/such/resource"
check_eq "unknown path: 4.04" "$(coap_code "$T_DIR/n3")" 4.04
python3 -c 'import sys; sys.stdout.write("{\"pad\":\"" + "x"*17000 + "\"}")' >"$T_DIR/big.json"
coap_cli "$T_DIR/n4" -m post -t 50 -b 1024 -f "$T_DIR/big.json" "${DEV[@]}" "$URL/enrolment"
check_eq "17 KB body (Block1): 4.13" "$(coap_code "$T_DIR/n4")" 4.13
coap_cli "$T_DIR/n5" -B 4 -m post -t 50 -e "$REQ" -c "$P/fake.cert.pem" -j "$P/fake.key.pem" \
  -R "$P/root.cert.pem" "$URL/enrolment"
check_eq "rogue certificate: no answer" "$(coap_code "$T_DIR/n5")" none
coap_cli "$T_DIR/n6" -B 4 -m post -t 50 -e "$REQ" -u kpm-nobody@mef.example.com -k "$KPM_TEXT" "$URL/enrolment"
check_eq "unknown PSK identity: no answer" "$(coap_code "$T_DIR/n6")" none
coap_cli "$T_DIR/n7" -B 4 -m post -t 50 -e "$REQ" -u kpm-c@mef.example.com -k 'wrong-kpm-wrong-kpm-wrong-kpm-00' "$URL/enrolment"
check_eq "wrong PSK: no answer" "$(coap_code "$T_DIR/n7")" none
check_eq "no Ke stored by any refusal" "$(nkeys)" "$before"
check_match "log: rogue certificate refused in the handshake" "$(cat "$T_DIR/mef.log")" 'coaps: .*DTLS handshake failed: certificate does not chain'
check_match "log: unknown PSK identity refused" "$(cat "$T_DIR/mef.log")" "coaps: .*PSK identity refused: .*no PSK for 'kpm-nobody@mef.example.com'"

# --- m2msec enrol --coap: KeID = the DTLS exporter's, Km = what a MAF fetches over HTTPS ---
store_field() { # STATE TYPE FIELD
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]))' "$@"
}
fetch_km() { # KEID -> hex Km, fetched by the MAF from the MEF's HTTPS listener with curl
  curl -s --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" --cert "$P/maf.full.pem" \
    --key "$P/maf.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
    -H "X-M2M-Origin: maf.example.com" "https://mef.example.com:$MEF_PORT/fetchCredentials/$1/21" |
    python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["credential"]).hex())'
}
S1="$T_DIR/dev-state"
out=$("$M2M" enrol --coap --mef "$URL" --mef-name mef.example.com --mef-root "$P/root.cert.pem" \
  --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" --chain "$P/dev.chain.pem" --state "$S1" --json) ||
  fail "enrol --coap (certificate) exits 0"
KEID=$(jget "$out" keId)
check_match "enrol --coap (certificate): KeID checked against the exporter" "$KEID" '^[0-9a-f]{32}@mef.example.com$'
check_eq "enrol --coap (certificate): Km a MAF fetches over HTTPS = stored Km" "$(fetch_km "$KEID")" "$(store_field "$S1" Km key)"
# fetchCredentials over CoAPS: the MAF's FQDN certificate, oneM2M-FR = its id (TS-0003 8.3.1.2)
coap_cli "$T_DIR/f1" -m get -O "256,maf.example.com" -c "$P/maf.cert.pem" -j "$P/maf.key.pem" \
  -R "$P/root.cert.pem" "$URL/fetchCredentials/$KEID/21"
KM_COAP=$(coap_json "$T_DIR/f1" | python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["credential"]).hex())' 2>/dev/null)
check_eq "fetchCredentials over CoAPS = stored Km" "$KM_COAP" "$(store_field "$S1" Km key)"
coap_cli "$T_DIR/f2" -m get -O "256,maf2.example.com" -c "$P/maf.cert.pem" -j "$P/maf.key.pem" \
  -R "$P/root.cert.pem" "$URL/fetchCredentials/$KEID/21"
check_eq "fetchCredentials over CoAPS, originator not the certificate's: 4.03" "$(coap_code "$T_DIR/f2")" 4.03
S2="$T_DIR/psk-state"
out=$(echo "$KPM" | "$M2M" enrol --coap --mef "$URL" --mef-name mef.example.com \
  --kpm-id kpm-c@mef.example.com --kpm-hex - --state "$S2" --json) || fail "enrol --coap (PSK) exits 0"
KEIDP=$(jget "$out" keId)
check_eq "enrol --coap (PSK): Enrolee-ID" "$(jget "$out" enroleeId)" //sp.example.com/CSE2002
check_eq "enrol --coap (PSK): Km a MAF fetches over HTTPS = stored Km" "$(fetch_km "$KEIDP")" "$(store_field "$S2" Km key)"
S3="$T_DIR/dev2-state"
out=$("$M2M" enrol --coap --mef "$URL" --mef-name mef.example.com --mef-root "$P/root.cert.pem" \
  --cert "$P/dev2.cert.pem" --key "$P/dev2.key.pem" --chain "$P/dev2.chain.pem" --state "$S3" --json) ||
  fail "enrol --coap with a block-wise answer exits 0"
N=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json")); print(len(next(k for k in d["keys"] if k["type"]=="Km")["trustAnchors"]))' "$S3")
check_eq "enrol --coap: block-wise answer stored whole (4 anchors)" "$N" 4

# --- client refusals leave the store untouched ---
before=$(sha256sum "$S1/credentials.json")
"$M2M" enrol --coap --mef "$URL" --mef-name wrong.example.com --mef-root "$P/root.cert.pem" \
  --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" --chain "$P/dev.chain.pem" --state "$S1" \
  >/dev/null 2>"$T_DIR/err" && fail "wrong MEF name refused" ||
  check_match "enrol --coap, wrong MEF name: names the check" "$(cat "$T_DIR/err")" 'certificate does not carry the expected identity'
"$M2M" enrol --coap --mef "$URL" --mef-name mef.example.com --mef-root "$P/root.cert.pem" \
  --cert "$P/unreg.cert.pem" --key "$P/unreg.key.pem" --chain "$P/unreg.chain.pem" --state "$S1" \
  >/dev/null 2>"$T_DIR/err" && fail "unregistered device refused" ||
  check_match "enrol --coap, unregistered: HTTP-equivalent status and RSC" "$(cat "$T_DIR/err")" 'HTTP 403, RSC 4103'
echo 00 | "$M2M" enrol --coap --mef "$URL" --mef-name mef.example.com --kpm-id kpm-c@mef.example.com \
  --kpm-hex - --state "$S1" --timeout 3 >/dev/null 2>&1 && fail "wrong Kpm refused" || ok "enrol --coap, wrong Kpm refused"
"$M2M" enrol --coap --mef "https://127.0.0.1:$MEF_PORT" --mef-name mef.example.com --kpm-id x \
  --kpm-hex 00 --state "$S1" >/dev/null 2>&1
check_eq "--coap with an https:// URL: usage error" "$?" 2
check_eq "store unchanged after failures" "$(sha256sum "$S1/credentials.json")" "$before"

mef_stop
t_done
