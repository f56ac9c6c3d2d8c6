#!/usr/bin/env bash
# m2msec derive against every relevant vector of keys.json, plus its error paths.
. "$(dirname "$0")/lib/common.sh"
V="${M2M_VECTORS:-$M2M_SRC/tests/vectors}/keys.json"

# One line per vector: action, then the expected output field and value, then the arguments.
python3 - "$V" >"$T_DIR/cases" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for e in v["exporter_split"]:
    print("keid", "keId", e["keid_text"], "--export", e["export48"], "--fqdn", e["mef_fqdn_text"])
    print("keid", "ke", e["ke"], "--export", e["export48"], "--fqdn", e["mef_fqdn_text"], "--reveal")
for e in v["km"]:
    if e["maf_id_text"]:
        print("km", "km", e["km"], "--ke", e["ke"], "--id", e["maf_id_text"], "--reveal")
for e in v["kpsa"]:
    print("kpsa", "kpsa", e["kpsa"], "--ke", e["ke"], "--id", e["enrolee_b_id_text"], "--reveal")
for e in v["usage_constrained"]:
    print("usage", "usageKey", e["key"], "--ke", e["ke"], "--suid", e["suid_text"], "--id", e["target_id_text"], "--reveal")
for e in v["kmid"]:
    print("kmid", "kmId", e["kmid_text"], "--km", e["km"], "--fqdn", e["maf_fqdn_text"])
for e in v["gba_ks_naf"]:
    print("ks-naf", "ksNaf", e["ks_naf"], "--ck", e["ck"], "--ik", e["ik"], "--rand", e["rand"],
          "--impi", e["impi_text"], "--fqdn", e["naf_fqdn_text"], "--suite", "0x" + e["ua_protocol_id"][6:], "--reveal")
PY

while read -r action field want args; do
  # shellcheck disable=SC2086
  out=$("$M2M" derive "$action" $args --json 2>/dev/null) || { fail "$action $field exits 0"; continue; }
  check_eq "derive $action $field = ${want:0:16}..." "$(jget "$out" "$field")" "$want"
done <"$T_DIR/cases"

# Ke is never printed without --reveal, and the text form names each field.
E=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
out=$("$M2M" derive keid --export "$E" --fqdn mef.example.com)
check_match "text output names the KeID" "$out" "keId +000102030405060708090a0b0c0d0e0f@mef.example.com"
if grep -q 101112131415 <<<"$out"; then fail "Ke hidden without --reveal"; else ok "Ke hidden without --reveal"; fi

# A secret read from standard input gives the same Km as on the command line.
KE=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
out=$(echo "$KE" | "$M2M" derive km --ke - --id maf.example.com --reveal --json)
check_eq "Ke from stdin" "$(jget "$out" km)" 28a823bfe683d7acfed2e53dea75e63f39c5fc4bc3d6ffc2b2aa469237dcf4d8
out=$("$M2M" derive km --ke "$KE" --id maf.example.com --fqdn maf.example.com --json)
check_eq "KmID without --reveal" "$(jget "$out" kmId)" f1aa6849394219d04b1d1f2d622901c4@maf.example.com

# Errors: one line on stderr, exit 1 for bad values, exit 2 for usage.
expect_exit() {
  local name=$1 code=$2; shift 2
  local err rc
  err=$("$M2M" derive "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq "$code" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == "m2msec derive:"* ]]; then
    ok "$name (exit $code, one line)"
  else
    fail "$name: exit $rc, stderr '$err'"
  fi
}
expect_exit "short export"       1 keid --export 0001 --fqdn mef.example.com
expect_exit "non-hex export"     1 keid --export "zz${E:2}" --fqdn mef.example.com
expect_exit "FQDN with @"        1 keid --export "$E" --fqdn a@b.example.com
expect_exit "short Ke"           1 km --ke 1011 --id maf.example.com
expect_exit "invalid UTF-8 id"   1 kpsa --ke "$KE" --id $'\xff'
expect_exit "undefined SUID"     1 usage --ke "$KE" --suid 99 --id maf.example.com
expect_exit "missing --fqdn"     2 keid --export "$E"
expect_exit "unknown action"     2 frobnicate
expect_exit "non-numeric SUID"   2 usage --ke "$KE" --suid x --id maf.example.com
check "derive --help exits 0" "$M2M" derive --help

t_done
