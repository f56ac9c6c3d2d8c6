#!/usr/bin/env bash
# m2msec mef / m2msec maf on a fresh SQLite store: every action, then the refusals (duplicates,
# unknown and malformed ids, bad instructions, unprotected KEK, usage errors), each leaving
# the store unchanged. Keys are seeded with tests/tools/store_seed.
. "$(dirname "$0")/lib/common.sh"
SEED="$M2M_BIN/store_seed"
KEK="$T_DIR/kek"
head -c 32 /dev/urandom >"$KEK"
chmod 600 "$KEK"
export M2MSEC_STORE="sqlite:$T_DIR/mef.db" M2MSEC_KEK="$KEK"
SP=//sp.example.com
KPM=00112233445566778899aabbccddeeff

mef() { "$M2M" mef "$@"; }
maf() { "$M2M" maf "$@"; }
# expect_exit NAME CODE CMD...: exit status CODE and exactly one line "m2msec <cmd>: ..." on stderr.
expect_exit() {
  local name=$1 code=$2; shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq "$code" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == "m2msec m"?f:* ]]; then
    ok "$name (exit $code)"
  else
    fail "$name: exit $rc, stderr '$err'"
  fi
}
# unchanged NAME CMD...: CMD fails and the listing LIST (global) is the same afterwards.
listing() { "$M2M" mef "$@" --json 2>/dev/null; }
refused_unchanged() {
  local name=$1 what=$2; shift 2
  local before after
  before=$(listing "$what" list)
  expect_exit "$name" 1 "$@"
  after=$(listing "$what" list)
  check_eq "$name leaves the $what listing unchanged" "$after" "$before"
}
jlen() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
jfield() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(str(x[sys.argv[1]]) for x in r))' "$1"; }

# ---- help ----
check "mef --help" mef --help
check "mef enrolee --help" mef enrolee --help
check "mef target allow --help" mef target allow --help
check "maf keys revoke --help" maf keys revoke --help
check_match "help lists every object" "$(mef --help)" "enrolee add.*policy add.*psk add.*target allow.*keys purge.*audit"

# ---- enrolees ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=maf-ca \
  -keyout "$T_DIR/ca.key" -out "$T_DIR/ca.pem" -days 2 2>/dev/null
out=$(mef enrolee add --id /CSE1 --sp-id "$SP" --flavour cse-id --identity CSE1.In.SP.example.com \
  --trust-set cse --maf-id MAF.Example.com --maf-uri https://127.0.0.1:8444 --maf-anchor "$T_DIR/ca.pem")
check_eq "enrolee add (SP-relative, canonicalised)" "$out" "enrolee //sp.example.com/CSE1 added"
check "enrolee add (AE-ID, lifetime)" mef enrolee add --id //SP.example.com/CSE1/Cae1 --flavour ae-id \
  --identity onem2m://sp.example.com/CSE1/Cae1 --trust-set ae --lifetime 3600
cat >"$T_DIR/instr.json" <<'EOF'
[{"type":"mafEnrolment","credentialType":"symmetric","mafId":"maf2.example.com",
  "mafUri":"https://127.0.0.1:8445","suid":21,"lifetime":86400},
 {"type":"remoteManagement","uri":"https://dm.example.com/"}]
EOF
check "enrolee add (device, --instructions)" mef enrolee add --id "$SP/CSE2" --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set dev --instructions "$T_DIR/instr.json"
check_eq "enrolee list has 3" "$(listing enrolee list | jlen)" 3
show=$(mef enrolee show --id //sp.example.com/CSE1 --json)
check_eq "show: identity lowercased" "$(jget "$show" identity)" cse1.in.sp.example.com
check_eq "show: mafEnrolment built from --maf-*" \
  "$(python3 -c 'import json,sys; i=json.loads(sys.argv[1])["instructions"][0]; print(i["type"], i["mafId"], i["suid"], len(i["trustAnchors"]))' "$show")" \
  "mafEnrolment maf.example.com 21 1"
check_eq "show: AE identity is the AE-ID URI" \
  "$(mef enrolee show --id "$SP/CSE1/Cae1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["identity"])')" \
  "onem2m://sp.example.com/CSE1/Cae1"
check_match "enrolee list text has aligned columns" "$(mef enrolee list)" "^ENROLEE-ID +FLAVOUR +IDENTITY"
check_eq "instructions from file kept" "$(mef enrolee show --id "$SP/CSE2" --json | \
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instructions"]))')" 2

# ---- policies ----
check "policy add" mef policy add --name acme --flavour device --trust-set dev \
  --prefix 0.2.481.1.100.3030. --template '/CSE1/C{suffix}' --maf-id maf.example.com
check "policy add (second prefix)" mef policy add --name acme2 --flavour device --trust-set dev \
  --prefix 0.2.481.1.100.3031. --template "$SP/CSE1/C{suffix}"
check_eq "policy list" "$(listing policy list | jfield name)" "acme acme2"

# ---- PSK enrolees ----
out=$(echo "$KPM" | mef psk add --kpm-id kpm1@mef.example.com --enrolee-id /CSE7 --sp-id "$SP" --kpm-hex -)
check_eq "psk add (Kpm from stdin)" "$out" "PSK enrolee kpm1@mef.example.com (//sp.example.com/CSE7) added"
echo "$KPM$KPM" >"$T_DIR/kpm"
check "psk add (Kpm from file)" mef psk add --kpm-id kpm2@mef.example.com --enrolee-id "$SP/CSE8" --kpm-file "$T_DIR/kpm"
psks=$(mef psk list; mef psk list --json)
check_match "psk list shows (sealed)" "$psks" "\(sealed\)"
if grep -qi "$KPM" <<<"$psks"; then fail "Kpm never printed"; else ok "Kpm never printed"; fi
# The raw Kpm bytes appear in no store file (database, WAL), only its sealed form.
if python3 -c 'import sys,glob; k=bytes.fromhex(sys.argv[1]); sys.exit(any(k in open(f,"rb").read() for f in glob.glob(sys.argv[2]+"*")))' "$KPM" "$T_DIR/mef.db"; then
  ok "Kpm not in clear in the store"; else fail "Kpm not in clear in the store"; fi

# ---- targets and authorisations ----
check_eq "target add (FQDN canonical)" "$(mef target add --id MAF.Example.com.)" "target maf.example.com added"
check "target add with a PSK" mef target add --id maf2.example.com --psk-hex "$KPM"
check "target add (CSE-ID)" mef target add --id /CSE9 --sp-id "$SP"
# Listed by target id: //sp.example.com/CSE9, maf.example.com, maf2.example.com.
check_eq "target list psk column" "$(listing target list | jfield psk)" "  (sealed)"
check "target allow (any enrolee)" mef target allow --id maf.example.com --suid 21
check "target allow (one enrolee)" mef target allow --id maf.example.com --suid 22 --enrolee /CSE1 --sp-id "$SP"
check "target allow (CSE target)" mef target allow --id "$SP/CSE9" --suid 10 --enrolee "$SP/CSE2"
check_eq "target rules" "$(mef target rules --id maf.example.com --json | jfield enroleeId)" "* //sp.example.com/CSE1"
check_eq "target rules (all)" "$(listing target rules | jlen)" 3
check "target deny" mef target deny --id maf.example.com --suid 22 --enrolee "$SP/CSE1"
check_eq "deny removed the rule" "$(listing target rules | jlen)" 2
check "target set-psk" mef target set-psk --id maf.example.com --psk-hex "$KPM"
check "target set-psk --no-psk" mef target set-psk --id maf2.example.com --no-psk
check_eq "set-psk changed the PSK column" "$(listing target list | jfield psk)" " (sealed) "

# ---- enrolment keys ----
"$SEED" "$M2MSEC_STORE" "$KEK" mef 2 -10 "$SP/CSE1" 1 >/dev/null
"$SEED" "$M2MSEC_STORE" "$KEK" mef 3 3600 "$SP/CSE2" 10 >/dev/null
check_eq "keys list (5 seeded)" "$(listing keys list | jlen)" 5
check_eq "keys list --enrolee" "$(mef keys list --enrolee /CSE1 --sp-id "$SP" --json | jfield status)" "expired expired"
check_eq "keys revoke (KeID canonicalised)" "$(mef keys revoke --keid 0000000000000000000000000000000A@MEF.example.com)" \
  "KeID 0000000000000000000000000000000a@mef.example.com revoked"
check "keys revoke twice" mef keys revoke --keid 0000000000000000000000000000000a@mef.example.com
check_eq "keys status" "$(listing keys list | jfield status)" "expired expired revoked active active"
check_eq "keys purge" "$(mef keys purge)" "2 expired enrolment keys purged"
check_eq "purge left the valid keys" "$(listing keys list | jfield status)" "revoked active active"
check_match "keys list text" "$(mef keys list)" "KEID +ENROLEE-ID +FRAMEWORK"

# ---- audit ----
check_eq "audit empty" "$(mef audit --json)" "[]"
"$SEED" "$M2MSEC_STORE" "$KEK" audit 3 0 - 1 >/dev/null
check_eq "audit newest first" "$(mef audit --json | jfield outcome)" "issued refused issued"
check_eq "audit --limit" "$(mef audit --limit 1 --json | jlen)" 1
check_match "audit text" "$(mef audit)" "SEQ +TIME +EVENT +OUTCOME"

# ---- removal ----
check "enrolee remove" mef enrolee remove --id "$SP/CSE1/Cae1"
check "policy remove" mef policy remove --name acme2
check "psk remove" mef psk remove --kpm-id kpm2@mef.example.com
check "target remove" mef target remove --id "$SP/CSE9"
check_eq "target remove took its rules" "$(listing target rules | jlen)" 1
check_eq "listings after removal" "$(listing enrolee list | jlen) $(listing policy list | jlen) $(listing psk list | jlen) $(listing target list | jlen)" "2 1 1 2"

# ---- MAF cache ----
export M2MSEC_STORE="sqlite:$T_DIR/maf.db"
"$SEED" "$M2MSEC_STORE" "$KEK" maf 2 -10 "$SP/CSE1" 1 >/dev/null
"$SEED" "$M2MSEC_STORE" "$KEK" maf 2 3600 "$SP/CSE1" 5 >/dev/null
check_eq "maf keys list (one line per key)" "$(maf keys list --json | jlen)" 4
check_eq "maf keys revoke by KmID" "$(maf keys revoke --key-id 00000000000000000000000000000005@maf.example.com)" \
  "cached key 00000000000000000000000000000005@maf.example.com revoked"
check "maf keys revoke by KeID" maf keys revoke --key-id 00000000000000000000000000000006@mef.example.com
check_eq "maf keys purge" "$(maf keys purge)" "2 expired cached keys purged"
check_eq "maf keys status" "$(maf keys list --json | jfield status)" "revoked revoked"
expect_exit "maf revoke unknown key" 1 maf keys revoke --key-id 000000000000000000000000000000ff@maf.example.com
expect_exit "maf revoke malformed key id" 1 maf keys revoke --key-id 'not a key'
expect_exit "maf revoke without --key-id" 2 maf keys revoke
export M2MSEC_STORE="sqlite:$T_DIR/mef.db"

# ---- duplicates: exit 1, one line, listing unchanged ----
refused_unchanged "duplicate enrolee" enrolee mef enrolee add --id //sp.example.com/CSE1 \
  --flavour device --identity 0.2.481.1.9 --trust-set dev
refused_unchanged "duplicate enrolee identity" enrolee mef enrolee add --id "$SP/CSE5" \
  --flavour cse-id --identity cse1.in.sp.example.com --trust-set cse
refused_unchanged "duplicate policy" policy mef policy add --name acme --flavour device \
  --trust-set dev --prefix 0.2.481.1.100.4. --template '/CSE1/C{suffix}'
refused_unchanged "duplicate policy class" policy mef policy add --name other --flavour device \
  --trust-set dev --prefix 0.2.481.1.100.3030. --template '/CSE1/C{suffix}'
refused_unchanged "duplicate PSK enrolee" psk mef psk add --kpm-id kpm1@mef.example.com \
  --enrolee-id "$SP/CSE9" --kpm-hex "$KPM"
refused_unchanged "duplicate target" target mef target add --id maf.example.com
refused_unchanged "duplicate target (other spelling)" target mef target add --id MAF.example.com.

# ---- unknown ids ----
expect_exit "enrolee show unknown" 1 mef enrolee show --id "$SP/CSE404"
refused_unchanged "enrolee remove unknown" enrolee mef enrolee remove --id "$SP/CSE404"
refused_unchanged "policy remove unknown" policy mef policy remove --name nope
refused_unchanged "psk remove unknown" psk mef psk remove --kpm-id nope@mef.example.com
refused_unchanged "target remove unknown" target mef target remove --id nomaf.example.com
expect_exit "allow on unknown target" 1 mef target allow --id nomaf.example.com --suid 21
expect_exit "deny of absent rule" 1 mef target deny --id maf.example.com --suid 22
expect_exit "set-psk unknown target" 1 mef target set-psk --id nomaf.example.com --no-psk
expect_exit "keys revoke unknown" 1 mef keys revoke --keid 000000000000000000000000000000ff@mef.example.com

# ---- malformed values ----
refused_unchanged "CSE-ID without slash" enrolee mef enrolee add --id CSE1 --flavour device \
  --identity 0.2.481.1.5 --trust-set dev
refused_unchanged "SP-relative id without --sp-id" enrolee mef enrolee add --id /CSE5 \
  --flavour device --identity 0.2.481.1.5 --trust-set dev
refused_unchanged "SP-ID as Enrolee-ID" enrolee mef enrolee add --id "$SP" --flavour device \
  --identity 0.2.481.1.5 --trust-set dev
refused_unchanged "unknown flavour" enrolee mef enrolee add --id "$SP/CSE5" --flavour dog \
  --identity 0.2.481.1.5 --trust-set dev
refused_unchanged "wildcard identity" enrolee mef enrolee add --id "$SP/CSE5" --flavour cse-id \
  --identity '*.sp.example.com' --trust-set cse
refused_unchanged "wildcard target FQDN" target mef target add --id '*.example.com'
refused_unchanged "single-label target" target mef target add --id localhost
refused_unchanged "short target PSK" target mef target add --id maf3.example.com --psk-hex 0011
refused_unchanged "non-hex Kpm" psk mef psk add --kpm-id k3@mef.example.com --enrolee-id "$SP/CSE3" --kpm-hex zz
refused_unchanged "malformed KpmID" psk mef psk add --kpm-id 'no at sign' --enrolee-id "$SP/CSE3" --kpm-hex "$KPM"
before=$(listing target rules)
expect_exit "undefined SUID 99" 1 mef target allow --id maf.example.com --suid 99
expect_exit "malformed enrolee in rule" 1 mef target allow --id maf.example.com --suid 21 --enrolee CSE1
check_eq "rules unchanged" "$(listing target rules)" "$before"
echo '[{"type":"mafEnrolment","credentialType":"symmetric"' >"$T_DIR/bad1.json"
echo '[{"type":"mafEnrolment","credentialType":"symmetric","mafId":"maf.example.com","suid":99}]' >"$T_DIR/bad2.json"
echo '[{"type":"frobnicate","uri":"x"}]' >"$T_DIR/bad3.json"
echo '{"type":"remoteManagement","uri":"x"}' >"$T_DIR/bad4.json"
echo '[{"type":"mafEnrolment","credentialType":"symmetric","mafId":"*.example.com"}]' >"$T_DIR/bad5.json"
for i in 1 2 3 4 5; do
  refused_unchanged "malformed instructions $i" enrolee mef enrolee add --id "$SP/CSE5" \
    --flavour device --identity 0.2.481.1.5 --trust-set dev --instructions "$T_DIR/bad$i.json"
done
refused_unchanged "wildcard --maf-id" policy mef policy add --name p9 --flavour device \
  --trust-set dev --prefix 9. --template '/CSE1/C{suffix}' --maf-id '*.example.com'
refused_unchanged "template not an id" policy mef policy add --name p9 --flavour device \
  --trust-set dev --prefix 9. --template 'CSE1{suffix}'
refused_unchanged "template placeholder unknown" policy mef policy add --name p9 --flavour device \
  --trust-set dev --prefix 9. --template '/CSE1/C{serial}'
expect_exit "malformed KeID" 1 mef keys revoke --keid 'x y'

# ---- KEK and usage ----
cp "$KEK" "$T_DIR/kek644"; chmod 644 "$T_DIR/kek644"
refused_unchanged "KEK file mode 0644 refused" psk mef --kek "$T_DIR/kek644" psk add \
  --kpm-id k4@mef.example.com --enrolee-id "$SP/CSE4" --kpm-hex "$KPM"
expect_exit "KEK mode 0644 refused even for a listing" 1 mef --kek "$T_DIR/kek644" enrolee list
expect_exit "missing --store" 2 env -u M2MSEC_STORE "$M2M" mef enrolee list
expect_exit "psk add without a KEK" 2 env -u M2MSEC_KEK "$M2M" mef psk add \
  --kpm-id k4@mef.example.com --enrolee-id "$SP/CSE4" --kpm-hex "$KPM"
check "listing needs no KEK" env -u M2MSEC_KEK "$M2M" mef enrolee list
expect_exit "missing required option" 2 mef enrolee add --id "$SP/CSE5"
expect_exit "option not taken by the action" 2 mef enrolee list --suid 21
expect_exit "unknown object" 2 mef frobnicate list
expect_exit "unknown action" 2 mef enrolee frobnicate
expect_exit "missing action" 2 mef enrolee
expect_exit "unknown option" 2 mef enrolee list --frob
expect_exit "non-numeric --lifetime" 2 mef enrolee add --id "$SP/CSE5" --flavour device \
  --identity 0.2.481.1.5 --trust-set dev --lifetime soon
expect_exit "no object" 2 mef
expect_exit "maf: no object" 2 maf

t_done
