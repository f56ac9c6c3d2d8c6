#!/usr/bin/env bash
# The m2msec demo: remote security provisioning end to end on this machine.
#   1. a oneM2M PKI with every certificate flavour;
#   2. an M2M Enrolment Function (m2msecd, SQLite store) with a device and a MAF registered;
#   3. the device enrols over mutual TLS 1.2 (m2msec enrol): Ke and KeID from the TLS exporter,
#      Km and KmID derived for the MAF, stored locally;
#   4. the MAF, seeing the KeID for the first time, fetches Km from the MEF over mutual TLS;
#      both sides now hold the same Km, and the MEF's audit shows what it issued.
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

step "2. The MEF: m2msecd on 127.0.0.1 with an SQLite store"
head -c 32 /dev/urandom >"$DIR/kek" && chmod 600 "$DIR/kek"
MEF_PORT=$(port)
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
admin() { "$M2M" mef --store "sqlite:$DIR/mef.db" --kek "$DIR/kek" --sp-id //sp.example.com "$@"; }
admin enrolee add --id /CSE1001 --flavour device --identity 0.2.481.1.100.3030.10011 \
  --trust-set devices --lifetime 86400 --maf-id maf.example.com --maf-uri https://127.0.0.1:8444
admin target add --id maf.example.com
admin target allow --id maf.example.com --suid 21 --enrolee /CSE1001
"$BIN/m2msecd" -c "$DIR/mef.conf" 2>"$DIR/mef.log" &
PIDS+=($!)
for _ in $(seq 100); do ss -Hltn "sport = :$MEF_PORT" | grep -q . && break; sleep 0.05; done
echo "m2msecd (mef) listening on 127.0.0.1:$MEF_PORT"

step "3. The device enrols (mutual TLS 1.2, device certificate -> MEF FQDN certificate)"
"$M2M" enrol --mef "https://127.0.0.1:$MEF_PORT" --mef-name mef.example.com \
  --mef-root "$P/root.cert.pem" --cert "$P/device.cert.pem" --key "$P/device.key.pem" \
  --chain "$P/mfr-ca.cert.pem" --state "$DIR/device"
KEID=$(python3 -c 'import json,sys; print(next(k["id"] for k in json.load(open(sys.argv[1]))["keys"] if k["type"]=="Ke"))' "$DIR/device/credentials.json")
KM_DEVICE=$(python3 -c 'import json,sys; print(next(k["key"] for k in json.load(open(sys.argv[1]))["keys"] if k["type"]=="Km"))' "$DIR/device/credentials.json")

step "4. The MAF sees KeID $KEID for the first time and fetches Km from the MEF"
cat "$P/maf.cert.pem" "$P/sp-ca.cert.pem" >"$DIR/maf.full.pem"
RESP=$(curl -s --tlsv1.2 --tls-max 1.2 --cacert "$P/root.cert.pem" --cert "$DIR/maf.full.pem" \
  --key "$P/maf.key.pem" --resolve "mef.example.com:$MEF_PORT:127.0.0.1" \
  -H "X-M2M-Origin: maf.example.com" "https://mef.example.com:$MEF_PORT/fetchCredentials/$KEID/21")
KM_MAF=$(python3 -c 'import json,sys,base64; print(base64.b64decode(json.loads(sys.argv[1])["credential"]).hex())' "$RESP")
echo "GET /fetchCredentials/$KEID/21 -> enroleeId $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["enroleeId"])' "$RESP")"
if [ "$KM_MAF" = "$KM_DEVICE" ]; then
  echo "device and MAF hold the same Km (fingerprint $(printf '%s' "$KM_MAF" | sha256sum | cut -c1-16))"
else
  echo "demo: Km mismatch" >&2
  exit 1
fi
echo
echo "MEF audit:"
admin audit | head -n 5
echo
echo "demo: ok"
