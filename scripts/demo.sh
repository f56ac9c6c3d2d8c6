#!/usr/bin/env bash
# The m2msec demo: a oneM2M PKI with every certificate flavour, a real TLS 1.2 handshake
# between a device and an MEF with both exporting EXPORTER-oneM2M-Bootstrap, and the
# TS-0003 key hierarchy derived from that export.
set -euo pipefail

BIN=${1:-build/bin}
M2M="$BIN/m2msec"
DIR=$(mktemp -d /tmp/m2msec-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "1. A demo PKI (P-256, ECDSA-SHA256) in $DIR"
{
"$M2M" pki ca --out "$DIR/root" --cn "Demo Root CA" --days 3650
"$M2M" pki ca --out "$DIR/sp-ca" --issuer "$DIR/root" --cn "Demo SP CA" \
  --permit-dns sp.example.com --permit-dns example.com --pathlen 0
"$M2M" pki ca --out "$DIR/mfr-ca" --issuer "$DIR/root" --cn "Demo Manufacturer CA" --pathlen 0
"$M2M" pki cert --flavour device  --id 0.2.481.1.100.3030.10011 --issuer "$DIR/mfr-ca" --out "$DIR/device"
"$M2M" pki cert --flavour node-id --id urn:dev:ops:0A1B2C-Gateway-0001 --issuer "$DIR/mfr-ca" --out "$DIR/node"
"$M2M" pki cert --flavour cse-id  --id cse1.in-cse.sp.example.com --issuer "$DIR/sp-ca" --out "$DIR/cse1"
"$M2M" pki cert --flavour ae-id   --id onem2m://sp.example.com/CSE1/Cae01 --issuer "$DIR/sp-ca" --out "$DIR/ae01"
"$M2M" pki cert --flavour fqdn    --id mef.example.com --issuer "$DIR/sp-ca" --out "$DIR/mef"
"$M2M" pki cert --flavour fqdn    --id maf.example.com --issuer "$DIR/sp-ca" --out "$DIR/maf"
} >/dev/null
echo "root CA -> SP CA (nameConstraints sp.example.com, example.com) -> CSE-ID, AE-ID, FQDN certs"
echo "root CA -> manufacturer CA -> device and Node-ID certs"
for c in device:device node:node-id cse1:cse-id ae01:ae-id mef:fqdn maf:fqdn; do
  printf '  %-7s %s\n' "${c%%:*}" "$("$M2M" pki show "$DIR/${c%%:*}.cert.pem" | grep -m1 "^${c#*:} ")"
done
cat "$DIR/sp-ca.cert.pem" "$DIR/mfr-ca.cert.pem" >"$DIR/chain.pem"

step "2. Enrolment handshake: device (device certificate) -> MEF (FQDN certificate), TLS 1.2"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$PORT" -tls1_2 -naccept 1 \
  -cert "$DIR/mef.cert.pem" -key "$DIR/mef.key.pem" -cert_chain "$DIR/sp-ca.cert.pem" \
  -CAfile "$DIR/root.cert.pem" -Verify 2 -verify_return_error \
  -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 >"$DIR/server.out" 2>&1 &
PIDS+=($!)
# Wait until it listens, without connecting (it accepts exactly one connection).
for _ in $(seq 100); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.05; done
echo | openssl s_client -connect "127.0.0.1:$PORT" -servername mef.example.com -tls1_2 \
  -cert "$DIR/device.cert.pem" -key "$DIR/device.key.pem" -cert_chain "$DIR/mfr-ca.cert.pem" \
  -CAfile "$DIR/root.cert.pem" -verify_return_error -cipher ECDHE-ECDSA-AES128-SHA256 \
  -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 >"$DIR/client.out" 2>&1
EXPORT=$(sed -n 's/^ *Keying material: *//p' "$DIR/client.out" | tr 'A-F' 'a-f')
echo "cipher:        $(sed -n 's/^ *Cipher *: *//p' "$DIR/client.out" | head -n 1)"
echo "client export: ${EXPORT:0:32}...  (48 bytes, RFC 5705, label EXPORTER-oneM2M-Bootstrap)"

step "3. TS-0003 10.3 key hierarchy from that export"
"$M2M" derive keid --export "$EXPORT" --fqdn mef.example.com
KE=${EXPORT:32:64}
echo "$KE" | "$M2M" derive km --ke - --id maf.example.com --fqdn maf.example.com
echo "$KE" | "$M2M" derive kpsa --ke - --id //sp.example.com/CSE1 --reveal | sed 's/\(kpsa *\)\(.\{16\}\).*/\1\2... (Kpsa for Enrolee B \/\/sp.example.com\/CSE1)/'
echo
echo "Key material is printed only with --reveal; KeID and KmID identify the keys."
echo "demo: ok"
