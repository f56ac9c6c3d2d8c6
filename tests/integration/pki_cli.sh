#!/usr/bin/env bash
# m2msec pki end to end: builds a PKI with the CLI, then checks every file with openssl,
# a tool the project did not write.
set -euo pipefail

BIN=${M2M_BIN:?M2M_BIN must name the directory of the built programs}/m2msec
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# check NAME CMD...: the command must succeed
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok; else bad "$name"; fi; }
# refuse NAME CMD...: the command must fail
refuse() { local name=$1; shift; if "$@" >/dev/null 2>&1; then bad "$name"; else ok; fi; }
# text NAME FILE PATTERN: FILE must contain the extended regex PATTERN
text() { if grep -Eq -- "$3" "$2"; then ok; else bad "$1 (no /$3/ in $2)"; fi; }

# --- build the PKI -------------------------------------------------------------------
"$BIN" pki ca --out root --cn "Test Root" --days 30 >/dev/null
"$BIN" pki ca --out sp --issuer root --cn "SP CA" --permit-dns sp.example.com --pathlen 0 >/dev/null
"$BIN" pki ca --out mfr --issuer root --cn "Manufacturer CA" --pathlen 0 >/dev/null

# flavour issuer identity name
certs=(
  "device mfr 0.2.481.1.100.3030.10011 dev-oid"
  "device mfr urn:dev:ops:001122-Sensor-1234 dev-urn"
  "node-id mfr 0.2.481.1.200.1.7 node"
  "cse-id sp in-cse.sp.example.com cse"
  "ae-id sp https://sp.example.com/CSE1/Cabc ae"
  "fqdn sp mef.sp.example.com mef"
  "fqdn sp https://maf.sp.example.com maf"
)
for row in "${certs[@]}"; do
  read -r flavour issuer id name <<<"$row"
  "$BIN" pki cert --flavour "$flavour" --id "$id" --issuer "$issuer" --out "$name" >/dev/null
done

# --- every certificate verifies with openssl and carries the oneM2M profile ------------
for row in "${certs[@]}"; do
  read -r flavour issuer id name <<<"$row"
  check "$name verifies" openssl verify -x509_strict -CAfile root.cert.pem \
    -untrusted "$issuer.cert.pem" "$name.cert.pem"
  openssl x509 -in "$name.cert.pem" -noout -text >"$name.txt"
  text "$name P-256" "$name.txt" "NIST CURVE: P-256"
  text "$name ecdsa-with-SHA256" "$name.txt" "Signature Algorithm: ecdsa-with-SHA256"
  text "$name keyUsage" "$name.txt" "Digital Signature"
  text "$name keyUsage critical" "$name.txt" "X509v3 Key Usage: critical"
  text "$name EKU" "$name.txt" "TLS Web Server Authentication, TLS Web Client Authentication"
  check "$name key mode 0600" test "$(stat -c %a "$name.key.pem")" = 600
done
text "device otherName" dev-oid.txt "othername: 0\.2\.481\.1::100\.3030\.10011"
text "device URI" dev-urn.txt "URI:urn:dev:ops:001122-Sensor-1234"
text "Node-ID otherName" node.txt "othername: 0\.2\.481\.1::200\.1\.7"
text "CSE-ID dNSName" cse.txt "DNS:in-cse\.sp\.example\.com"
text "AE-ID URI" ae.txt "URI:https://sp\.example\.com/CSE1/Cabc"
text "FQDN dNSName" mef.txt "DNS:mef\.sp\.example\.com"
text "FQDN URI" maf.txt "URI:https://maf\.sp\.example\.com"
refuse "CSE-ID has no URI" grep -q "URI:" cse.txt

openssl x509 -in sp.cert.pem -noout -text >sp.txt
text "CA basicConstraints" sp.txt "CA:TRUE, pathlen:0"
text "CA basicConstraints critical" sp.txt "X509v3 Basic Constraints: critical"
text "CA keyUsage" sp.txt "Certificate Sign, CRL Sign"
text "CA nameConstraints critical" sp.txt "X509v3 Name Constraints: critical"
text "CA permits dNSName" sp.txt "DNS:sp\.example\.com"
text "CA permits URI host" sp.txt "URI:\.sp\.example\.com"
check "root key mode 0600" test "$(stat -c %a root.key.pem)" = 600

# --- name constraints, expiry, revocation -------------------------------------------
"$BIN" pki cert --flavour ae-id --id https://evil.example.org/CSE1/Cabc --issuer sp --out evil >/dev/null
refuse "AE-ID outside nameConstraints" openssl verify -CAfile root.cert.pem -untrusted sp.cert.pem evil.cert.pem

"$BIN" pki cert --flavour fqdn --id old.sp.example.com --issuer sp --out old --expired >/dev/null
if out=$(openssl verify -CAfile root.cert.pem -untrusted sp.cert.pem old.cert.pem 2>&1); then
  bad "expired certificate verified"
else
  if grep -q "expired" <<<"$out"; then ok; else bad "expired: openssl said: $out"; fi
fi
"$BIN" pki cert --flavour fqdn --id new.sp.example.com --issuer sp --out new --not-yet-valid >/dev/null
refuse "not yet valid certificate" openssl verify -CAfile root.cert.pem -untrusted sp.cert.pem new.cert.pem

"$BIN" pki crl --issuer root >/dev/null
"$BIN" pki crl --issuer mfr >/dev/null
check "CRL check passes before revocation" openssl verify -crl_check_all -CAfile root.cert.pem \
  -untrusted mfr.cert.pem -CRLfile root.crl.pem -CRLfile mfr.crl.pem dev-oid.cert.pem
"$BIN" pki revoke --issuer mfr --cert dev-oid.cert.pem >/dev/null
refuse "revoked certificate" openssl verify -crl_check -CAfile root.cert.pem \
  -untrusted mfr.cert.pem -CRLfile mfr.crl.pem dev-oid.cert.pem
check "other certificate of the CA still fine" openssl verify -crl_check -CAfile root.cert.pem \
  -untrusted mfr.cert.pem -CRLfile mfr.crl.pem dev-urn.cert.pem
"$BIN" pki revoke --issuer mfr --cert node.cert.pem --crl-out both.crl.pem >/dev/null
openssl crl -in both.crl.pem -noout -text >crl.txt
check "CRL lists both revoked" test "$(grep -c 'Serial Number' crl.txt)" = 2
"$BIN" pki crl --issuer mfr --out again.crl.pem >/dev/null
openssl crl -in again.crl.pem -noout -text >crl2.txt
check "revoked list is kept beside the CA" test "$(grep -c 'Serial Number' crl2.txt)" = 2

# --- show ---------------------------------------------------------------------------
"$BIN" pki show dev-oid.cert.pem >show.txt
text "show device id" show.txt "^device +0\.2\.481\.1\.100\.3030\.10011$"
text "show issuer" show.txt "^issuer +/CN=Manufacturer CA$"
"$BIN" pki show ae.cert.pem >show.txt
text "show AE-ID" show.txt "^ae-id +https://sp\.example\.com/CSE1/Cabc$"

# --- usage errors: exit 2 with one line; failures exit 1 with one line ----------------
usage() {
  local name=$1 want=$2; shift 2
  local rc=0
  "$BIN" "$@" >/dev/null 2>err.txt || rc=$?
  if [ "$rc" = "$want" ] && [ "$(wc -l <err.txt)" = 1 ]; then ok; else bad "$name: rc=$rc $(cat err.txt)"; fi
}
usage "no action" 2 pki
usage "unknown action" 2 pki frobnicate
usage "unknown option" 2 pki ca --out x --bogus
usage "missing --out" 2 pki ca
usage "bad flavour" 2 pki cert --flavour x509 --id a --issuer sp --out z
usage "bad days" 2 pki cert --flavour fqdn --id a.sp.example.com --issuer sp --out z --days -3
usage "bad time" 2 pki ca --out z --not-before yesterday
usage "show without file" 2 pki show
usage "missing issuer files" 1 pki cert --flavour fqdn --id a.example.com --issuer nope --out z
usage "wildcard identity" 1 pki cert --flavour cse-id --id '*.sp.example.com' --issuer sp --out z
usage "show garbage" 1 pki show crl.txt
for action in ca cert revoke crl show; do
  check "pki $action --help" "$BIN" pki "$action" --help
done
check "pki --help" "$BIN" pki --help

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
