#!/usr/bin/env bash
# m2msec enrol against a real m2msecd: certificate and PSK frameworks, then a fetch by the
# MAF whose Km must equal the Km the enrolee derived and stored; the PKI-based variant with
# its unwrapped root credential; failures that must leave the credential store untouched.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
mef_config "$(free_port)"
KPM=8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com --maf-uri https://127.0.0.1:8444 >/dev/null || fail "register device"
mef_admin --sp-id //sp.example.com psk add --kpm-id kpm-07@mef.example.com --enrolee-id /CSE2002 \
  --kpm-hex "$KPM" --maf-id maf.example.com >/dev/null || fail "register PSK enrolee"
mef_admin target add --id maf.example.com >/dev/null &&
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "target"
mef_start || { fail "daemon starts"; t_done; exit 1; }
MEF="https://127.0.0.1:$MEF_PORT"

enrol_cert() { # STATE NAME [extra]
  local state=$1 name=$2; shift 2
  "$M2M" enrol --mef "$MEF" --mef-name mef.example.com --mef-root "$P/root.cert.pem" \
    --cert "$P/$name.cert.pem" --key "$P/$name.key.pem" --chain "$P/$name.chain.pem" \
    --state "$state" --json "$@"
}
store_field() { # STATE TYPE FIELD
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]))' "$@"
}
fetch_km() { # KEID -> hex Km from the MEF, fetched by the MAF with curl
  curl -s --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" --cert "$P/maf.full.pem" \
    --key "$P/maf.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
    -H "X-M2M-Origin: maf.example.com" "https://mef.example.com:$MEF_PORT/fetchCredentials/$1/21" |
    python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["credential"]).hex())'
}

# --- certificate framework ---
S1="$T_DIR/dev-state"
out=$(enrol_cert "$S1" dev) || fail "enrol (certificate) exits 0"
KEID=$(jget "$out" keId)
check_match "enrol prints the KeID" "$KEID" '^[0-9a-f]{32}@mef.example.com$'
check_eq "Enrolee-ID" "$(jget "$out" enroleeId)" //sp.example.com/CSE1001
check_eq "credential store mode 0600" "$(stat -c %a "$S1/credentials.json")" 600
check_eq "state dir mode 0700" "$(stat -c %a "$S1")" 700
check_eq "Km stored under its KeID" "$(store_field "$S1" Km keId)" "$KEID"
check_eq "Km of the MAF = Km the enrolee stored" "$(fetch_km "$KEID")" "$(store_field "$S1" Km key)"
KMID=$("$M2M" derive kmid --km "$(store_field "$S1" Km key)" --fqdn maf.example.com --json)
check_eq "KmID stored = KmID of its Km" "$(store_field "$S1" Km id)" "$(jget "$KMID" kmId)"
if grep -q "$(store_field "$S1" Km key)" <<<"$out"; then fail "no key printed without --reveal"; else ok "no key printed without --reveal"; fi
ACKS=$(mef_admin audit --json)
check_match "the MEF recorded the enrolment" "$ACKS" "$KEID"

# Re-enrolment: a new Ke; the old one stays valid.
out2=$(enrol_cert "$S1" dev) || fail "re-enrol exits 0"
KEID2=$(jget "$out2" keId)
if [ -n "$KEID2" ] && [ "$KEID2" != "$KEID" ]; then ok "re-enrolment gives a new KeID"; else fail "re-enrolment KeID '$KEID2'"; fi
check_match "old Ke still fetchable" "$(fetch_km "$KEID")" '^[0-9a-f]{64}$'

# --- pre-provisioned symmetric key framework ---
S2="$T_DIR/psk-state"
out=$(echo "$KPM" | "$M2M" enrol --mef "$MEF" --mef-name mef.example.com --kpm-id kpm-07@mef.example.com \
  --kpm-hex - --state "$S2" --json) || fail "enrol (PSK) exits 0"
KEIDP=$(jget "$out" keId)
check_eq "PSK Enrolee-ID" "$(jget "$out" enroleeId)" //sp.example.com/CSE2002
check_eq "PSK: Km of the MAF = Km the enrolee stored" "$(fetch_km "$KEIDP")" "$(store_field "$S2" Km key)"

# --- PKI-based bootstrap: wrapped root credential ---
S3="$T_DIR/root-state"
out=$(enrol_cert "$S3" dev --root-credential) || fail "enrol --root-credential exits 0"
check_match "root credential stored" "$(store_field "$S3" rootCredential key)" '^[0-9a-f]{64}$'
check_match "credential id" "$(store_field "$S3" rootCredential id)" '@mef.example.com$'

# --- failures leave the previous store untouched ---
before=$(sha256sum "$S1/credentials.json")
enrol_cert "$S1" unreg >/dev/null 2>"$T_DIR/err" && fail "unregistered device refused" ||
  check_match "unregistered device: one clear line" "$(cat "$T_DIR/err")" '^m2msec enrol: .*(not a registered enrolee|403)'
"$M2M" enrol --mef "$MEF" --mef-name wrong.example.com --mef-root "$P/root.cert.pem" \
  --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" --chain "$P/dev.chain.pem" --state "$S1" \
  >/dev/null 2>"$T_DIR/err" && fail "wrong MEF name refused" ||
  check_match "wrong MEF name: names the check" "$(cat "$T_DIR/err")" 'certificate does not carry the expected identity'
echo 00 | "$M2M" enrol --mef "$MEF" --mef-name mef.example.com --kpm-id kpm-07@mef.example.com \
  --kpm-hex - --state "$S1" >/dev/null 2>&1 && fail "wrong Kpm refused" || ok "wrong Kpm refused"
check_eq "store unchanged after failures" "$(sha256sum "$S1/credentials.json")" "$before"

mef_stop
t_done
