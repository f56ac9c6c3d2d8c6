#!/usr/bin/env bash
# The m2msec demo: a device bootstrapped end to end against local daemons.
#   1. a oneM2M PKI with every certificate flavour;
#   2. three m2msecd daemons on 127.0.0.1, each with its SQLite store: a Bootstrap Briefing
#      Node, an M2M Enrolment Function and an M2M Authentication Function;
#   3. the operator registers the device at the MEF and a rule at the Briefing Node;
#   4. m2msec bootstrap on the device: Bootstrap-Start, -Briefing (where and how), -Execution
#      (enrolment at the MEF: Ke and KeID from the TLS exporter, Km and KmID derived; then the
#      TLS-PSK session to the MAF with KeID, which fetches Km from the MEF and registers the
#      device under the KmID both ends derived);
#   6. the device, as Entity A, associates by PSK (KeID, Kpsa derived from Ke) with a CSE
#      that fetches the same Kpsa from the MEF on seeing the unknown KeID.
set -euo pipefail

BIN=${1:-build/bin}
M2M="$BIN/m2msec"
DIR=$(mktemp -d /tmp/m2msec-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "1. A oneM2M PKI (P-256, ECDSA-SHA256) in $DIR"
P="$DIR/pki"
mkdir -p "$P"
{
  "$M2M" pki ca --out "$P/root" --cn "Demo Root CA" --days 3650
  "$M2M" pki ca --out "$P/sp-ca" --issuer "$P/root" --cn "Demo SP CA" \
    --permit-dns sp.example.com --permit-dns example.com --pathlen 0
  "$M2M" pki ca --out "$P/mfr-ca" --issuer "$P/root" --cn "Demo Manufacturer CA" --pathlen 0
  "$M2M" pki cert --flavour device  --id 0.2.481.1.100.3030.10011 --issuer "$P/mfr-ca" --out "$P/device"
  "$M2M" pki cert --flavour node-id --id urn:dev:ops:0A1B2C-Gateway-0001 --issuer "$P/mfr-ca" --out "$P/node"
  "$M2M" pki cert --flavour cse-id  --id cse1.in-cse.sp.example.com --issuer "$P/sp-ca" --out "$P/cse1"
  "$M2M" pki cert --flavour ae-id   --id onem2m://sp.example.com/CSE1/Cae01 --issuer "$P/sp-ca" --out "$P/ae01"
  "$M2M" pki cert --flavour fqdn    --id mef.example.com --issuer "$P/sp-ca" --out "$P/mef"
  "$M2M" pki cert --flavour fqdn    --id maf.example.com --issuer "$P/sp-ca" --out "$P/maf"
} >/dev/null
echo "root CA -> SP CA (nameConstraints sp.example.com, example.com) -> CSE-ID, AE-ID, FQDN certs"
echo "root CA -> manufacturer CA -> device and Node-ID certs"
for c in device:device node:node-id cse1:cse-id ae01:ae-id mef:fqdn maf:fqdn; do
  printf '  %-7s %s\n' "${c%%:*}" "$("$M2M" pki show "$P/${c%%:*}.cert.pem" | grep -m1 "^${c#*:} ")"
done

step "2. Three daemons on 127.0.0.1: Briefing Node, MEF and MAF (SQLite stores)"
head -c 32 /dev/urandom >"$DIR/kek" && chmod 600 "$DIR/kek"
"$M2M" pki cert --flavour fqdn --id bbn.example.com --issuer "$P/sp-ca" --out "$P/bbn" >/dev/null
BBN_PORT=$(port)
MEF_PORT=$(port)
MAF_PORT=$(port)
cat >"$DIR/mef.conf" <<CONF
[daemon]
store = sqlite:$DIR/mef.db
kek_file = $DIR/kek
[mef]
fqdn = mef.example.com
listen = 127.0.0.1:$MEF_PORT
cert = $P/mef.cert.pem
key = $P/mef.key.pem
chain = $P/sp-ca.cert.pem
sp_id = //sp.example.com
in_cse_id = in-cse
[trust.devices]
anchors = $P/root.cert.pem
flavours = device
[trust.targets]
anchors = $P/root.cert.pem
flavours = fqdn, cse-id
CONF
cat >"$DIR/maf.conf" <<CONF
[daemon]
store = sqlite:$DIR/maf.db
kek_file = $DIR/kek
[maf]
fqdn = maf.example.com
listen = 127.0.0.1:$MAF_PORT
cert = $P/maf.cert.pem
key = $P/maf.key.pem
chain = $P/sp-ca.cert.pem
trust = mefs
mef = mef.example.com https://127.0.0.1:$MEF_PORT
[trust.mefs]
anchors = $P/root.cert.pem
flavours = fqdn
CONF
cat >"$DIR/rules.conf" <<CONF
[rule.acme-meters]
trust = manufacturer-acme
device_prefix = 0.2.481.1.100.3030
mechanism = certificate
target_id = mef.example.com
target_uri = https://127.0.0.1:$MEF_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21
CONF
cat >"$DIR/bbn.conf" <<CONF
[daemon]
store = sqlite:$DIR/bbn.db
kek_file = $DIR/kek
[bbn]
fqdn = bbn.example.com
listen = 127.0.0.1:$BBN_PORT
cert = $P/bbn.cert.pem
key = $P/bbn.key.pem
chain = $P/sp-ca.cert.pem
rules = $DIR/rules.conf
[trust.manufacturer-acme]
anchors = $P/mfr-ca.cert.pem
flavours = device
CONF
for role in bbn mef maf; do
  "$BIN/m2msecd" -c "$DIR/$role.conf" 2>"$DIR/$role.log" &
  PIDS+=($!)
done
for p in $BBN_PORT $MEF_PORT $MAF_PORT; do
  for _ in $(seq 200); do ss -Hltn "sport = :$p" | grep -q . && break; sleep 0.05; done
done
echo "bbn on :$BBN_PORT, mef on :$MEF_PORT, maf on :$MAF_PORT"

step "3. The operator registers the device at the MEF and the MAF as its target"
admin() { "$M2M" mef --store "sqlite:$DIR/mef.db" --kek "$DIR/kek" --sp-id //sp.example.com "$@"; }
admin enrolee add --id /CSE1001 --flavour device --identity 0.2.481.1.100.3030.10011 \
  --trust-set devices --lifetime 86400 --maf-id maf.example.com --maf-uri "https://127.0.0.1:$MAF_PORT"
admin target add --id maf.example.com
admin target allow --id maf.example.com --suid 21 --enrolee /CSE1001
"$M2M" bbn rules check "$DIR/rules.conf"

step "4. m2msec bootstrap on the device (pre-configured: the Briefing Node and its anchor)"
cat >"$DIR/device.ini" <<CONF
[bootstrap]
bbn = https://127.0.0.1:$BBN_PORT
bbn-name = bbn.example.com
bbn-root = $P/root.cert.pem
cert = $P/device.cert.pem
key = $P/device.key.pem
chain = $P/mfr-ca.cert.pem
state = $DIR/device
CONF
"$M2M" bootstrap --config "$DIR/device.ini"

step "5. What each side now holds"
KMID=$(python3 -c 'import json,sys; print(next(k["id"] for k in json.load(open(sys.argv[1]))["keys"] if k["type"]=="Km"))' "$DIR/device/credentials.json")
echo "device:  $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join(k["type"]+" "+k["id"] for k in d["keys"]))' "$DIR/device/credentials.json")"
echo "maf:     $("$M2M" maf --store "sqlite:$DIR/maf.db" --kek "$DIR/kek" keys list | grep -c "$KMID") cached key under KmID $KMID"
echo "mef audit:"
admin audit | head -n 4

step "6. Enrolee B: a PSK association with a CSE that fetches Kpsa from the MEF"
# The device derives Kpsa from Ke for //sp.example.com/CSE1 and presents its KeID; the CSE,
# which has never seen that KeID, fetches the same Kpsa from the MEF (SUID 22) with its
# CSE-ID certificate, and each side prints the identity it bound.
admin target add --id /CSE1 >/dev/null
admin target allow --id /CSE1 --suid 22 --enrolee /CSE1001 >/dev/null
CSE_PORT=$(port)
echo "hello, device" | "$M2M" listen --once --port "$CSE_PORT" --id //sp.example.com/CSE1 \
  --cert "$P/cse1.cert.pem" --key "$P/cse1.key.pem" --chain "$P/sp-ca.cert.pem" \
  --mef "mef.example.com=https://127.0.0.1:$MEF_PORT" --mef-root "$P/root.cert.pem" \
  --store "sqlite:$DIR/cse1.db" --kek "$DIR/kek" 2>"$DIR/cse1.log" > >(sed 's/^/cse1:    /') &
LISTEN_PID=$!
PIDS+=("$LISTEN_PID")
for _ in $(seq 200); do ss -Hltn "sport = :$CSE_PORT" | grep -q . && break; sleep 0.05; done
echo "hello, cse1" | "$M2M" connect --once --host 127.0.0.1 --port "$CSE_PORT" \
  --peer-id //sp.example.com/CSE1 --from-enrolment "$DIR/device" | sed 's/^/device:  /'
wait "$LISTEN_PID" # --once: it exits after the one association
echo "mef audit:"
admin audit | head -n 2
echo
echo "demo: ok"
