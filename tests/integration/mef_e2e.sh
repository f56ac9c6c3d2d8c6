#!/usr/bin/env bash
# The MEF end to end over real sockets: enrolments posted by hand with openssl s_client
# (certificate and PSK) whose KeID must match the exported bytes s_client prints, a credential
# fetched with curl by an authorised target, and every refusal the issue lists, each with
# its status and reason and no change to the store.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
mef_config "$(free_port)"
KPM=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com --maf-uri https://127.0.0.1:8444 >/dev/null || fail "register device"
mef_admin --sp-id //sp.example.com psk add --kpm-id kpm-01@mef.example.com --enrolee-id /CSE2002 \
  --kpm-hex "$KPM" >/dev/null || fail "register PSK enrolee"
mef_admin target add --id maf.example.com >/dev/null || fail "add MAF target"
mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "allow MAF"
mef_admin --sp-id //sp.example.com target add --id /CSE7 >/dev/null || fail "add CSE target"
mef_admin --sp-id //sp.example.com target allow --id /CSE7 --suid 22 --enrolee /CSE1001 >/dev/null ||
  fail "allow CSE"
mef_start || { fail "daemon starts"; cat "$T_DIR/mef.log"; t_done; exit 1; }
ok "daemon listening on $MEF_PORT"

REQ='{"certEnrolment":false,"mafEnrolment":true,"remoteManagement":false}'
nkeys() { mef_admin keys list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# --- certificate enrolment by hand (openssl s_client, device certificate) ---
s_enrol "$T_DIR/e1" dev "$REQ"
EXPORT=$(t_export "$T_DIR/e1")
BODY=$(t_body "$T_DIR/e1")
check_eq "enrolment answered 201" "$(t_status "$T_DIR/e1")" 201
WANT=$("$M2M" derive keid --export "$EXPORT" --fqdn mef.example.com --json)
KEID=$(jget "$BODY" keId)
check_eq "KeID the MEF returns = KeID of s_client's export" "$KEID" "$(jget "$WANT" keId)"
check_eq "Enrolee-ID" "$(jget "$BODY" enroleeId)" "//sp.example.com/CSE1001"
check_match "MAF instruction" "$BODY" '"type":"mafEnrolment".*"mafId":"maf.example.com"'
check_eq "one key stored" "$(nkeys)" 1

# --- fetch by an authorised target with curl (its FQDN certificate) ---
fetch() { # ORIGIN NAME PATH: curl with the fixture certificate NAME
  curl -s -o "$T_DIR/fetch.body" -w '%{http_code}' --tlsv1.2 --tls-max 1.2 \
    --cacert "$P/root.cert.pem" --cert "$P/$2.full.pem" --key "$P/$2.key.pem" \
    --resolve "mef.example.com:$MEF_PORT:127.0.0.1" -H "X-M2M-Origin: $1" -H "X-M2M-RI: f1" \
    "https://mef.example.com:$MEF_PORT$3"
}
KE=${EXPORT:32:64}
code=$(fetch maf.example.com maf "/fetchCredentials/$KEID/21")
check_eq "curl fetch by the MAF: 200" "$code" 200
CRED=$(python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(open(sys.argv[1]))["credential"]).hex())' "$T_DIR/fetch.body")
KM=$(echo "$KE" | "$M2M" derive km --ke - --id maf.example.com --reveal --json)
check_eq "fetched Km = Km the enrolee derives" "$CRED" "$(jget "$KM" km)"
check_match "lifetime is an RFC 3339 expiry" "$(cat "$T_DIR/fetch.body")" '"lifetime":"20[0-9-]+T[0-9:]+Z"'
code=$(fetch //sp.example.com/CSE7 cse7 "/fetchCredentials/$KEID/22")
check_eq "curl fetch of Kpsa by the CSE: 200 ($(cat "$T_DIR/fetch.body"))" "$code" 200
CRED=$(python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(open(sys.argv[1]))["credential"]).hex())' "$T_DIR/fetch.body")
KPSA=$(echo "$KE" | "$M2M" derive kpsa --ke - --id //sp.example.com/CSE7 --reveal --json)
check_eq "fetched Kpsa = Kpsa the enrolee derives" "$CRED" "$(jget "$KPSA" kpsa)"

# --- PSK enrolment (psk_identity = KpmID) ---
s_psk() { # OUT KEY
  { printf 'POST /enrolment HTTP/1.1\r\nHost: mef.example.com\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#REQ}" "$REQ"; sleep 0.3; } |
    timeout 10 openssl s_client -connect "127.0.0.1:$MEF_PORT" -tls1_2 -cipher PSK-AES128-CBC-SHA256 \
      -psk_identity kpm-01@mef.example.com -psk "$2" -ign_eof \
      -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 >"$1" 2>&1
}
s_psk "$T_DIR/p1" "$KPM"
check_eq "PSK enrolment answered 201" "$(t_status "$T_DIR/p1")" 201
WANT=$("$M2M" derive keid --export "$(t_export "$T_DIR/p1")" --fqdn mef.example.com --json)
check_eq "PSK KeID matches the export" "$(jget "$(t_body "$T_DIR/p1")" keId)" "$(jget "$WANT" keId)"
check_eq "PSK Enrolee-ID" "$(jget "$(t_body "$T_DIR/p1")" enroleeId)" "//sp.example.com/CSE2002"
check_eq "two keys stored" "$(nkeys)" 2

# --- refusals: each with its status, a clear reason, and no new key ---
s_psk "$T_DIR/p2" "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
check_empty "wrong Kpm: no HTTP answer (handshake fails)" "$(t_status "$T_DIR/p2")"
s_enrol "$T_DIR/n1" old "$REQ"
check_empty "expired device certificate: handshake refused" "$(t_status "$T_DIR/n1")"
s_enrol "$T_DIR/n2" fake "$REQ"
check_empty "certificate from an unknown root: handshake refused" "$(t_status "$T_DIR/n2")"
s_enrol "$T_DIR/n3" unreg "$REQ"
check_eq "unregistered enrolee: 403" "$(t_status "$T_DIR/n3")" 403
check_match "unregistered enrolee: reason" "$(t_body "$T_DIR/n3")" 'not a registered enrolee'
s_enrol "$T_DIR/n4" dev '{"certEnrolment":tru'
check_eq "malformed JSON: 400" "$(t_status "$T_DIR/n4")" 400
check_match "malformed JSON: reason" "$(t_body "$T_DIR/n4")" 'invalid JSON'
s_enrol "$T_DIR/n5" dev '{"certEnrolment":1,"mafEnrolment":true,"remoteManagement":false}'
check_eq "wrong member type: 400" "$(t_status "$T_DIR/n5")" 400
check_match "wrong member type: reason" "$(t_body "$T_DIR/n5")" 'must be a boolean'
BIG=$(python3 -c 'print("{\"pad\":\"" + "x"*20000 + "\"}")')
s_enrol "$T_DIR/n6" dev "$BIG"
check_eq "oversized body: 413" "$(t_status "$T_DIR/n6")" 413
s_enrol "$T_DIR/n7" dev "$REQ" /unknown
check_eq "unknown path: 404" "$(t_status "$T_DIR/n7")" 404
check_eq "refusals left the key count alone" "$(nkeys)" 2

code=$(fetch maf.example.com maf "/fetchCredentials/$KEID/22")
check_eq "MAF not authorised for SUID 22: 403" "$code" 403
check_match "not authorised: reason" "$(cat "$T_DIR/fetch.body")" 'may not fetch SUID 22'
code=$(fetch maf2.example.com maf2 "/fetchCredentials/$KEID/21")
check_eq "unregistered target: 403" "$code" 403
code=$(fetch maf2.example.com maf "/fetchCredentials/$KEID/21")
check_eq "originator differs from the certificate: 403" "$code" 403
check_match "originator mismatch: reason" "$(cat "$T_DIR/fetch.body")" 'not the identity this session proved'
code=$(fetch maf.example.com maf "/fetchCredentials/000102030405060708090a0b0c0d0e0f@mef.example.com/21")
check_eq "unknown KeID: 404" "$code" 404
mef_admin keys revoke --keid "$KEID" >/dev/null || fail "revoke"
code=$(fetch maf.example.com maf "/fetchCredentials/$KEID/21")
check_eq "revoked Ke: 403" "$code" 403
check_match "revoked Ke: reason" "$(cat "$T_DIR/fetch.body")" 'revoked'
AUD=$(mef_admin audit --json)
check_match "refusals are audited" "$AUD" 'refused'
check_match "issuances are audited" "$AUD" 'issued'
if grep -qi "$KE" "$T_DIR/mef.log" || grep -qi "$KPM" "$T_DIR/mef.log"; then
  fail "no key material in the log"
else
  ok "no key material in the log"
fi

# --- a silent client does not delay others, and is closed at the timeout (3 s) ---
exec 5<>"/dev/tcp/127.0.0.1/$MEF_PORT"
start=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" \
  --cert "$P/dev2.full.pem" --key "$P/dev2.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
  -H 'Content-Type: application/json' -d "$REQ" "https://mef.example.com:$MEF_PORT/enrolment")
took=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "curl enrolment beside a silent connection (unregistered: 403)" "$code" 403
if [ "$took" -lt 2000 ]; then ok "not delayed by the silent client (${took} ms)"; else fail "delayed ${took} ms"; fi
if timeout 6 cat <&5 >/dev/null; then ok "silent connection closed by the server"; else fail "silent connection still open"; fi
exec 5<&-

# --- ECDHE over P-256 (a client that offers no X25519): the daemon decodes EC keys with the
# built-in method by default (builtin_ec_keys), which also makes its P-256 key share ---
S_CLIENT_EXTRA="-groups P-256" s_enrol "$T_DIR/e256" dev "$REQ"
check_match "P-256 ECDHE negotiated" "$(cat "$T_DIR/e256")" 'Server Temp Key: ECDH, prime256v1'
check_eq "P-256 enrolment answered 201" "$(t_status "$T_DIR/e256")" 201
WANT=$("$M2M" derive keid --export "$(t_export "$T_DIR/e256")" --fqdn mef.example.com --json)
check_eq "P-256: KeID = KeID of the export" "$(jget "$(t_body "$T_DIR/e256")" keId)" "$(jget "$WANT" keId)"

mef_stop
t_done
