#!/usr/bin/env bash
# The GBA framework end to end over real sockets (SPEC.md section 8, docs/gba.md): a subscriber
# registered with the CLI; m2msec enrol --gba bootstraps a software USIM with the MEF acting as
# BSF on its server-authenticated Ub listener; curl, with the MAF's FQDN certificate, fetches
# Ks_NAF with the percent-encoded B-TID and gets the enrolee's Km. Refusals: a USIM with the
# wrong K (no B-TID, nothing stored), a NAF outside the user security settings, an expired
# B-TID, a B-TID of another BSF, Ub on the mutual-TLS listener; a USIM ahead of the HSS
# resynchronises and then succeeds.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
GBA_PORT=$(free_port)
mef_config "$(free_port)"
sed -i "s|^psk = true|psk = true\ngba_listen = 127.0.0.1:$GBA_PORT|" "$T_DIR/mef.conf"

IMPI=001010000000001@ims.example.com
IMPI2=001010000000002@ims.example.com
K=465b5ce8b199b49faa5f0a2ee238a6bc # 3GPP TS 35.208 test set 1
OP=cdc202d5123e20f62b6d676ac72cb318
OPC=cd63cb71954a9f4e48a5994e37a02baf
umask 077
echo "$K" >"$T_DIR/k"
echo "$OP" >"$T_DIR/op"

# usim FILE IMPI K SQN: a software USIM file (mode 0600).
usim() {
  printf '{"impi": "%s", "k": "%s", "opc": "%s", "sqn": %s, "amf": "0000"}\n' "$2" "$3" "$OPC" "$4" >"$1"
  chmod 600 "$1"
}
enrol_gba() { # STATE USIM [extra args]
  local st=$1 u=$2
  shift 2
  "$M2M" enrol --gba --usim "$u" --bsf "https://127.0.0.1:$GBA_PORT" --mef-name mef.example.com \
    --mef-root "$P/root.cert.pem" --state "$st" --json "$@"
}
nkeys() { mef_admin keys list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
entry() { # STATE TYPE PEER FIELD: one field of a credentials.json entry
  python3 - "$@" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1] + "/credentials.json"))["keys"]
print([k for k in keys if k["type"] == sys.argv[2] and k["peer"] == sys.argv[3]][0][sys.argv[4]])
PY
}
pct() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
fetch() { # ORIGIN NAME PATH: curl with the fixture certificate NAME
  curl -s -o "$T_DIR/fetch.body" -w '%{http_code}' --tlsv1.2 --tls-max 1.2 \
    --cacert "$P/root.cert.pem" --cert "$P/$2.full.pem" --key "$P/$2.key.pem" \
    --resolve "mef.example.com:$MEF_PORT:127.0.0.1" -H "X-M2M-Origin: $1" -H "X-M2M-RI: g1" \
    "https://mef.example.com:$MEF_PORT$3"
}
cred_hex() { python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(open(sys.argv[1]))["credential"]).hex())' "$T_DIR/fetch.body"; }

# --- the operator's side: subscribers through the CLI (K and OP from files, never argv) ---
out=$(mef_admin gba subscriber add --impi "$IMPI" --k-file "$T_DIR/k" --op-file "$T_DIR/op" \
  --enrolee-id //sp.example.com/CSE9 --naf maf.example.com --lifetime 3600 2>&1)
check_match "subscriber added (OPc computed from OP)" "$out" "GBA subscriber $IMPI added"
check_fails "a duplicate IMPI is refused" mef_admin gba subscriber add --impi "$IMPI" \
  --k-file "$T_DIR/k" --op-file "$T_DIR/op" --enrolee-id //sp.example.com/CSE9
echo "$OPC" >"$T_DIR/opc"
echo "$K" | mef_admin gba subscriber add --impi "$IMPI2" --k-file - --opc-file "$T_DIR/opc" \
  --enrolee-id //sp.example.com/CSE10 --naf maf.example.com --lifetime 2 >/dev/null ||
  fail "second subscriber (K on stdin)"
chmod 644 "$T_DIR/k"
check_fails "a K file readable by others is refused" mef_admin gba subscriber add \
  --impi 3@ims.example.com --k-file "$T_DIR/k" --op-file "$T_DIR/op" --enrolee-id //sp.example.com/C1
chmod 600 "$T_DIR/k"
check_eq "two subscribers listed" \
  "$(mef_admin gba subscriber list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
mef_admin target add --id maf.example.com >/dev/null || fail "add MAF target"
mef_admin target allow --id maf.example.com --suid 21 >/dev/null || fail "allow MAF"
mef_admin target add --id maf2.example.com >/dev/null || fail "add MAF2 target"
mef_admin target allow --id maf2.example.com --suid 21 >/dev/null || fail "allow MAF2"

# --- configuration and usage errors ---
sed "s|^gba_listen = .*|gba_listen = 127.0.0.1:$MEF_PORT|" "$T_DIR/mef.conf" >"$T_DIR/same.conf"
err=$("$M2MD" -c "$T_DIR/same.conf" --check 2>&1)
check_match "gba_listen equal to listen is refused" "$err" "gba_listen must differ from listen"
"$M2M" enrol --gba --bsf https://127.0.0.1:1 --mef-name mef.example.com \
  --mef-root "$P/root.cert.pem" --state "$T_DIR/x" >/dev/null 2>&1
check_eq "--gba without --usim: usage error" "$?" 2
"$M2M" enrol --usim "$T_DIR/x.json" --mef https://127.0.0.1:1 --mef-name mef.example.com \
  --kpm-id a@mef.example.com --kpm-hex 00 --state "$T_DIR/x" >/dev/null 2>&1
check_eq "--usim without --gba: usage error" "$?" 2

mef_start || { fail "daemon starts"; cat "$T_DIR/mef.log"; t_done; exit 1; }
wait_for_port "$GBA_PORT" tcp 200 || fail "Ub listener up"
ok "daemon listening on $MEF_PORT, Ub on $GBA_PORT"

# --- Ub by a third-party client: no client certificate needed, a Digest AKA challenge ---
hdrs=$(curl -s -D - -o /dev/null --tlsv1.2 --cacert "$P/root.cert.pem" \
  --resolve "mef.example.com:$GBA_PORT:127.0.0.1" \
  -H "Authorization: Digest username=\"$IMPI\", realm=\"mef.example.com\", nonce=\"\", uri=\"/gba/bootstrap\", response=\"\"" \
  "https://mef.example.com:$GBA_PORT/gba/bootstrap" | tr -d '\r')
check_match "curl without a certificate gets 401" "$hdrs" "^HTTP/1.1 401"
check_match "WWW-Authenticate: Digest AKA" "$hdrs" \
  'WWW-Authenticate: Digest realm="mef.example.com", nonce="[A-Za-z0-9+/]{43}=", algorithm=AKAv1-MD5, qop="auth-int", opaque="[0-9a-f]{32}"'
code=$(curl -s -o /dev/null -w '%{http_code}' --tlsv1.2 --cacert "$P/root.cert.pem" \
  --resolve "mef.example.com:$GBA_PORT:127.0.0.1" "https://mef.example.com:$GBA_PORT/fetchCredentials/x@mef.example.com/21")
check_eq "the Ub listener serves nothing else" "$code" 404
code=$(fetch maf.example.com maf "/gba/bootstrap")
check_eq "the mutual-TLS listener refuses /gba/bootstrap" "$code" 404

# --- a USIM with the wrong K: MAC failure, no B-TID, nothing stored ---
usim "$T_DIR/wrong.json" "$IMPI" 00112233445566778899aabbccddeeff 0
before=$(nkeys)
err=$(enrol_gba "$T_DIR/st-wrong" "$T_DIR/wrong.json" --maf maf.example.com 2>&1 >/dev/null)
check_match "wrong K: the USIM refuses the challenge" "$err" "MAC failure"
check_fails "wrong K: no credential store written" test -e "$T_DIR/st-wrong/credentials.json"
check_eq "wrong K: no key at the MEF" "$(nkeys)" "$before"

# --- a loose USIM file is refused before anything is sent ---
usim "$T_DIR/loose.json" "$IMPI" "$K" 0
chmod 644 "$T_DIR/loose.json"
err=$(enrol_gba "$T_DIR/st-loose" "$T_DIR/loose.json" 2>&1 >/dev/null)
check_match "USIM file readable by others is refused" "$err" "mode 0600"

# --- the bootstrap ---
usim "$T_DIR/usim.json" "$IMPI" "$K" 0
out=$(enrol_gba "$T_DIR/st" "$T_DIR/usim.json" --maf maf.example.com --maf maf2.example.com)
BTID=$(jget "$out" btid)
check_match "enrol --gba prints a B-TID of this BSF" "$BTID" '^[A-Za-z0-9+/]{22}==@mef\.example\.com$'
check "no key printed without --reveal" bash -c "! grep -Eq '\"ks\"|ksNaf|[0-9a-f]{64}' <<<'$out'"
check_eq "credential store: Ke id = B-TID" "$(entry "$T_DIR/st" Ke mef.example.com id)" "$BTID"
check_eq "credential store: framework gba" "$(entry "$T_DIR/st" Ke mef.example.com framework)" gba
check_eq "credential store: Km of maf has KeID = B-TID" "$(entry "$T_DIR/st" Km maf.example.com id)" "$BTID"
check_eq "credential store: uaSuite 00ae" "$(entry "$T_DIR/st" Km maf.example.com uaSuite)" 00ae
check_eq "credential store is 0600" "$(stat -c %a "$T_DIR/st/credentials.json")" 600
hss_sqn() { mef_admin gba subscriber list --json |
  python3 -c 'import json,sys; print([s["sqn"] for s in json.load(sys.stdin) if s["impi"]==sys.argv[1]][0])' "$1"; }
# Each challenge spends an SQN (curl's and the wrong USIM's too); the USIM accepted the last.
check_eq "USIM file records the accepted SQN (the HSS's)" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sqn"])' "$T_DIR/usim.json")" \
  "$(hss_sqn "$IMPI")"
check_eq "USIM file stays 0600" "$(stat -c %a "$T_DIR/usim.json")" 600
KM=$(entry "$T_DIR/st" Km maf.example.com key)
revealed=$(enrol_gba "$T_DIR/st-reveal" "$T_DIR/usim.json" --maf maf.example.com --reveal)
check_match "--reveal prints Ks and Ks_NAF" "$revealed" '"ks":"[0-9a-f]{64}".*|"ksNaf":"[0-9a-f]{64}"'

# --- the MAF fetches Ks_NAF with the percent-encoded B-TID ---
ENC=$(pct "$BTID")
code=$(fetch maf.example.com maf "/fetchCredentials/$ENC/21?ua=01000100ae")
check_eq "curl fetch by the MAF: 200 ($(cat "$T_DIR/fetch.body"))" "$code" 200
check_eq "fetched Ks_NAF = the enrolee's Km" "$(cred_hex)" "$KM"
check_match "Enrolee-ID and lifetime" "$(cat "$T_DIR/fetch.body")" \
  '"lifetime":"20[0-9-]+T[0-9:]+Z","enroleeId":"//sp.example.com/CSE9"'
KS=$(entry "$T_DIR/st" Ke mef.example.com key)
RAND=$(entry "$T_DIR/st" Ke mef.example.com rand)
WANT=$(echo "${KS:0:32}" | "$M2M" derive ks-naf --ck - --ik "${KS:32:32}" --rand "$RAND" \
  --impi "$IMPI" --fqdn maf.example.com --reveal --json 2>/dev/null)
check_eq "m2msec derive ks-naf (Ks = CK || IK) agrees" "$(jget "$WANT" ksNaf)" "$KM"

# --- refusals of the fetch ---
code=$(fetch maf.example.com maf "/fetchCredentials/$ENC/21")
check_eq "no ua: 400" "$code" 400
code=$(fetch maf.example.com maf "/fetchCredentials/${ENC}%2/21?ua=01000100ae")
check_eq "malformed percent-encoding: 400" "$code" 400
code=$(fetch maf2.example.com maf2 "/fetchCredentials/$ENC/21?ua=01000100ae")
check_eq "NAF outside the user security settings: 403" "$code" 403
check_match "reason names the settings" "$(cat "$T_DIR/fetch.body")" "not in the GBA user security settings"
OTHER=$(pct "${BTID%@*}@bsf.other.example.com")
code=$(fetch maf.example.com maf "/fetchCredentials/$OTHER/21?ua=01000100ae")
check_eq "B-TID of another BSF: 404" "$code" 404
code=$(fetch maf.example.com maf "/fetchCredentials/AAAA%2FAAAAAAAAAAAAAAAAA%3D%3D%40mef.example.com/21?ua=01000100ae")
check_eq "a B-TID with %2F reaches the lookup (never issued: 404)" "$code" 404
check_match "  ... decoded to its '/'" "$(cat "$T_DIR/fetch.body")" "AAAA/AAAAAAAAAAAAAAAAA==@mef.example.com"
check_match "refusals audited" "$(mef_admin audit --json)" '"event":"fetchCredentials"[^}]*"outcome":"refused"'

# --- the USIM is ahead of the HSS: synchronisation failure, AUTS, then success ---
usim "$T_DIR/ahead.json" "$IMPI" "$K" 5000
out=$(enrol_gba "$T_DIR/st-ahead" "$T_DIR/ahead.json" --maf maf.example.com)
check_eq "resynchronised, then a B-TID" "$(jget "$out" resynchronised)" yes
check_match "second B-TID" "$(jget "$out" btid)" '@mef\.example\.com$'
check_eq "the HSS continues after the USIM's SQN" "$(hss_sqn "$IMPI")" 5001
check_match "resynchronisation audited" "$(mef_admin audit --json)" \
  '"event":"gbaResync","outcome":"issued",[^}]*"reason":"SQN 5001"'

# --- a revoked B-TID ---
mef_admin keys revoke --keid "$(jget "$out" btid)" >/dev/null || fail "revoke a B-TID"
code=$(fetch maf.example.com maf "/fetchCredentials/$(pct "$(jget "$out" btid)")/21?ua=01000100ae")
check_eq "revoked B-TID: 403" "$code" 403

# --- an expired B-TID (subscriber lifetime 2 s) ---
usim "$T_DIR/short.json" "$IMPI2" "$K" 0
out=$(enrol_gba "$T_DIR/st-short" "$T_DIR/short.json" --maf maf.example.com)
SHORT=$(pct "$(jget "$out" btid)")
sleep 3
code=$(fetch maf.example.com maf "/fetchCredentials/$SHORT/21?ua=01000100ae")
check_eq "expired B-TID: 403" "$code" 403
check_match "reason: expired" "$(cat "$T_DIR/fetch.body")" "expired"

mef_stop
check "no secret in the log" bash -c "! grep -qi -e '$K' -e '$KM' -e '$KS' '$T_DIR/mef.log'"
t_done
