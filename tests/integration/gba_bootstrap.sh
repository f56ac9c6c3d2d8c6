#!/usr/bin/env bash
# m2msec bootstrap with a Briefing Node rule of mechanism "gba" (SPEC.md sections 7 and 8,
# docs/gba.md): the node runs Ub with its USIM (named in the [bootstrap] section of its
# configuration) against the instructed target, the MEF's Ub listener verified with the
# instruction's anchors, and stores Ks and a Ks_NAF per enrolment target; the MAF's fetch
# returns that Ks_NAF. Without a USIM the execution phase fails and nothing is stored.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/bootstrap_fixture.sh"

mef_pki
boot_pki_extra
GBA_PORT=$(free_port)
BBN_PORT=$(free_port)
mef_config "$(free_port)"
sed -i "s|^psk = true|psk = true\ngba_listen = 127.0.0.1:$GBA_PORT|" "$T_DIR/mef.conf"
IMPI=001010000000009@ims.example.com
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
umask 077
echo "$K" >"$T_DIR/k"
echo "$OPC" >"$T_DIR/opc"
mef_admin gba subscriber add --impi "$IMPI" --k-file "$T_DIR/k" --opc-file "$T_DIR/opc" \
  --enrolee-id //sp.example.com/CSE77 --naf maf.example.com >/dev/null || fail "subscriber"
mef_admin target add --id maf.example.com >/dev/null
mef_admin target allow --id maf.example.com --suid 21 >/dev/null
mef_start || { fail "mef starts"; cat "$T_DIR/mef.log"; t_done; exit 1; }
wait_for_port "$GBA_PORT" || fail "Ub listener up"

# The MAF: meets the B-TID as a TLS-PSK identity and fetches Ks_NAF from the MEF.
MAF_PORT=$(free_port)
boot_maf_start || { fail "maf starts"; cat "$T_DIR/maf.log"; t_done; exit 1; }

cat >"$T_DIR/rules.conf" <<CONF
[rule.gba-site]
trust = manufacturer
site = gba-site
mechanism = gba
target_id = mef.example.com
target_uri = https://127.0.0.1:$GBA_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21, //sp.example.com/CSE7:22
CONF
boot_bbn_start || { fail "bbn starts"; cat "$T_DIR/bbn.log"; t_done; exit 1; }
ok "mef (Ub on $GBA_PORT) and bbn listening"

printf '{"impi": "%s", "k": "%s", "opc": "%s", "sqn": 0}\n' "$IMPI" "$K" "$OPC" >"$T_DIR/usim.json"
chmod 600 "$T_DIR/usim.json"
cat >"$T_DIR/node.conf" <<CONF
[bootstrap]
bbn = https://127.0.0.1:$BBN_PORT
bbn-name = bbn.example.com
bbn-root = $P/root.cert.pem
cert = $P/dev.cert.pem
key = $P/dev.key.pem
chain = $P/dev.chain.pem
site = gba-site
usim = $T_DIR/usim.json
maf-uri = maf.example.com=https://127.0.0.1:$MAF_PORT
CONF
entry() { # STATE TYPE PEER FIELD
  python3 - "$@" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1] + "/credentials.json"))["keys"]
print([k for k in keys if k["type"] == sys.argv[2] and k["peer"] == sys.argv[3]][0][sys.argv[4]])
PY
}

# --- without a USIM: the execution phase fails, nothing is stored ---
err=$("$M2M" bootstrap --config "$T_DIR/node.conf" --usim "" --mechanisms gba --state "$T_DIR/none" 2>&1 >/dev/null)
check_match "no USIM: execution fails naming it" "$err" "execution failed: .*needs --usim"
check_fails "no USIM: no credential store" test -e "$T_DIR/none/credentials.json"

# --- a MAF URL that is not https://: refused after Ub, nothing stored ---
err=$("$M2M" bootstrap --config "$T_DIR/node.conf" --maf-uri maf.example.com=http://127.0.0.1:1 \
  --state "$T_DIR/badmaf" 2>&1 >/dev/null)
check_match "--maf-uri not https: execution fails naming it" "$err" \
  "execution failed: .*--maf-uri for maf.example.com is not https://"
check_fails "--maf-uri not https: no credential store" test -e "$T_DIR/badmaf/credentials.json"

# --- the bootstrap ---
out=$("$M2M" bootstrap --config "$T_DIR/node.conf" --state "$T_DIR/st") || fail "bootstrap (gba) exits 0"
check_match "briefing names gba" "$out" 'briefing +mechanism gba, target mef.example.com'
check_match "execution: B-TID" "$out" 'execution +bootstrapped at mef.example.com: B-TID [A-Za-z0-9+/]{22}==@mef.example.com, Ks_NAF for 1 NAF'
BTID=$(entry "$T_DIR/st" Ke mef.example.com id)
# The MAF handshake: psk_identity = B-TID, psk = Ks_NAF (TLS_PSK_WITH_AES_128_CBC_SHA256),
# the MAF fetching Ks_NAF with ua=01000100ae and assigning KmID = B-TID.
check_contains "execution: registered with the MAF under the B-TID" "$out" \
  "registered with MAF maf.example.com: clientRegId reg-"
check_contains "the MAF assigned KmID = B-TID and the subscriber's Enrolee-ID" "$out" \
  "KmID $BTID, Enrolee-ID //sp.example.com/CSE77"
check_contains "the MAF fetched Ks_NAF from the MEF" "$(cat "$T_DIR/maf.log")" \
  "fetched from mef.example.com, cached as $BTID#ua=01000100ae"
check_contains "the MEF issued it for that Ua id to the MAF" "$(cat "$T_DIR/mef.log")" \
  "issued SUID 21 key of $BTID to maf.example.com"
check_eq "Km of the MAF under the B-TID" "$(entry "$T_DIR/st" Km maf.example.com keId)" "$BTID"
check_eq "Km for SUID 21" "$(entry "$T_DIR/st" Km maf.example.com suid)" 21
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BTID")
code=$(curl -s -o "$T_DIR/fetch.body" -w '%{http_code}' --tlsv1.2 --tls-max 1.2 \
  --cacert "$P/root.cert.pem" --cert "$P/maf.full.pem" --key "$P/maf.key.pem" \
  --resolve "mef.example.com:$MEF_PORT:127.0.0.1" -H "X-M2M-Origin: maf.example.com" \
  "https://mef.example.com:$MEF_PORT/fetchCredentials/$ENC/21?ua=01000100ae")
check_eq "the MAF's fetch: 200" "$code" 200
check_eq "the MAF's Ks_NAF = the node's Km" \
  "$(python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(open(sys.argv[1]))["credential"]).hex())' "$T_DIR/fetch.body")" \
  "$(entry "$T_DIR/st" Km maf.example.com key)"
t_done
