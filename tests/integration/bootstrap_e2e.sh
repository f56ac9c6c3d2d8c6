#!/usr/bin/env bash
# The whole bootstrap with real processes (SPEC.md sections 3, 6, 7): a device asks the
# Briefing Node, enrols at the instructed MEF with the instructed mechanism, registers with
# the MAF (which fetches Km from the MEF), for the certificate and PSK frameworks and the
# PKI-based root-credential variant; refusals name their phase and leave the store alone;
# 100 devices at once each end with their own keys and Enrolee-ID.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/bootstrap_fixture.sh"

boot_setup || { fail "daemons start"; tail -5 "$T_DIR"/*.log; t_done; exit 1; }
ok "bbn, mef and maf daemons listening"
store_field() { # STATE TYPE FIELD
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]))' "$@"
}

# --- certificate framework ---
S="$T_DIR/dev"
out=$(boot dev "$S" --site plant-7) || fail "bootstrap (certificate) exits 0"
check_match "phase start printed" "$out" '(^|
)start +briefing node bbn.example.com'
check_match "phase briefing printed" "$out" 'briefing +mechanism certificate, target mef.example.com'
check_match "phase execution: enrolled" "$out" 'execution +enrolled at mef.example.com: KeID [0-9a-f]{32}@mef.example.com'
check_match "phase execution: MAF registration" "$out" 'registered with MAF maf.example.com: clientRegId [^,]+, KmID [0-9a-f]{32}@maf.example.com'
check_match "final line" "$out" 'done +credentials in'
check_eq "store holds the Enrolee-ID" "$(store_field "$S" Ke enroleeId)" //sp.example.com/CSE1001
KMID=$(store_field "$S" Km id)
check_match "the KmID the MAF assigned is in the store" "$out" "KmID $KMID"
MAFKEYS=$("$M2M" maf --store "sqlite:$T_DIR/maf.db" --kek "$T_DIR/kek" keys list --json)
check_match "the MAF cached the device's Km" "$MAFKEYS" "$KMID"

# --- --json ---
out=$(boot dev "$T_DIR/dev-json" --site plant-7 --json) || fail "bootstrap --json exits 0"
check_eq "--json: enroleeId" "$(jget "$out" enroleeId)" //sp.example.com/CSE1001
check_eq "--json: mechanism" "$(jget "$out" mechanism)" certificate

# --- pre-provisioned symmetric key framework ---
S2="$T_DIR/psk"
out=$(boot dev2 "$S2" --site psk-site --kpm-id kpm-07@mef.example.com --kpm-hex "$KPM") ||
  fail "bootstrap (psk) exits 0"
check_match "psk: briefing names the mechanism" "$out" 'briefing +mechanism psk'
check_eq "psk: Enrolee-ID of the KpmID" "$(store_field "$S2" Ke enroleeId)" //sp.example.com/CSE2002
check_match "psk: MAF registration" "$out" 'registered with MAF maf.example.com'

# --- PKI-based bootstrap: wrapped root credential ---
S3="$T_DIR/pki"
out=$(boot dev "$S3" --site pki-site) || fail "bootstrap (pki) exits 0"
check_match "pki: root credential received" "$out" 'execution +root credential [0-9a-f]+@mef.example.com'
check_match "pki: credential stored" "$(store_field "$S3" rootCredential key)" '^[0-9a-f]{64}$'

# --- refusals: phase named, store untouched ---
before=$(sha256sum "$S/credentials.json")
boot dev "$S" --site nowhere >/dev/null 2>"$T_DIR/err" && fail "rule mismatch refused"
check_match "rule mismatch: briefing phase, 403 and reason" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: briefing failed: .*403.*no rule matches'
"$M2M" bootstrap --bbn "https://127.0.0.1:$BBN_PORT" --bbn-name bbn.example.com \
  --bbn-root "$P/rogue.cert.pem" --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" \
  --chain "$P/dev.chain.pem" --state "$S" --site plant-7 >/dev/null 2>"$T_DIR/err" &&
  fail "untrusted BBN refused"
check_match "BBN not trusted by the device: briefing phase" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: briefing failed: .*(chain to a configured trust anchor|untrusted)'
boot gw "$S" --site plant-7 >/dev/null 2>"$T_DIR/err" && fail "enterprise device refused"
check_match "device from an untrusted enterprise: briefing phase" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: briefing failed'
boot unreg "$S" --site plant-7 >/dev/null 2>"$T_DIR/err" && fail "unregistered device refused"
check_match "unregistered device: execution phase" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: execution failed: .*not a registered enrolee'
check_eq "store untouched by the failures" "$(sha256sum "$S/credentials.json")" "$before"

# --- 100 devices at once ---
mkdir -p "$T_DIR/fleet"
for i in $(seq 1 100); do
  "$M2M" pki cert --flavour device --id "0.2.481.1.100.3030.2$(printf %04d "$i")" \
    --issuer "$P/mfr" --out "$P/f$i" >/dev/null
  cp "$P/mfr.cert.pem" "$P/f$i.chain.pem"
done
pids=()
for i in $(seq 1 100); do
  boot "f$i" "$T_DIR/fleet/$i" --site plant-7 >"$T_DIR/fleet/$i.out" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
check_eq "100 concurrent bootstraps succeed" "$failed" 0
summary=$(python3 - "$T_DIR/fleet" <<'PY'
import json, sys, os
ids, kms, kes = set(), set(), set()
for i in range(1, 101):
    d = json.load(open(os.path.join(sys.argv[1], str(i), "credentials.json")))
    ke = next(k for k in d["keys"] if k["type"] == "Ke")
    km = next(k for k in d["keys"] if k["type"] == "Km")
    want = "//sp.example.com/CSE-%04d" % i
    if ke["enroleeId"] != want or km["enroleeId"] != want:
        print("wrong-id", i, ke["enroleeId"]); sys.exit(0)
    ids.add(ke["enroleeId"]); kes.add(ke["key"]); kms.add(km["key"])
print(len(ids), len(kes), len(kms))
PY
)
check_eq "each device bound to its own Enrolee-ID with distinct Ke and Km" "$summary" "100 100 100"

t_done
