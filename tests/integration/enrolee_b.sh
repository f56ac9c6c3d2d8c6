#!/usr/bin/env bash
# Enrolee B (TS-0003 V3 8.3.1.2 with SUID 22): a device bootstrapped end to end associates by
# PSK with a CSE it never met. The device derives Kpsa from its Ke for the CSE's id and
# presents its KeID; the CSE (m2msec listen --mef) fetches that Kpsa from the MEF with its
# CSE-ID certificate, and each side binds the other's id. Refusals: a CSE the MEF does not
# authorise for SUID 22, and a KeID of an MEF the CSE does not know.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/bootstrap_fixture.sh"

boot_setup || { fail "daemons start"; tail -5 "$T_DIR"/*.log; t_done; exit 1; }
S="$T_DIR/dev"
boot dev "$S" --site plant-7 >/dev/null || fail "device bootstrap"
mef_admin --sp-id //sp.example.com target add --id /CSE7 >/dev/null || fail "add CSE7 target"
CSE=//sp.example.com/CSE7

# listen_cse7 OUT ERR: Entity B as CSE7, one association, fetching unknown KeIDs.
listen_cse7() {
  CSE_PORT=$(free_port)
  echo "hello device" | "$M2M" listen --once --port "$CSE_PORT" --id "$CSE" \
    --cert "$P/cse7.cert.pem" --key "$P/cse7.key.pem" --chain "$P/cse7.chain.pem" \
    --mef "mef.example.com=https://127.0.0.1:$MEF_PORT" --mef-root "$P/root.cert.pem" \
    --store "sqlite:$T_DIR/cse7.db" --kek "$T_DIR/kek" --timeout 5000 >"$1" 2>"$2" &
  LPID=$!
  T_PIDS+=("$LPID")
  wait_for_port "$CSE_PORT" tcp 200 || fail "listener up"
}
# connect_dev DIR OUT ERR: Entity A presenting the KeID of DIR with Kpsa for CSE7.
connect_dev() {
  echo "hello cse" | "$M2M" connect --once --host 127.0.0.1 --port "$CSE_PORT" --peer-id "$CSE" \
    --from-enrolment "$1" --timeout 5000 >"$2" 2>"$3"
}
ended() { wait "$LPID"; }

# --- the CSE is not authorised for SUID 22 yet: the MEF refuses, the handshake fails ---
listen_cse7 "$T_DIR/l.out" "$T_DIR/l.err"
connect_dev "$S" "$T_DIR/c.out" "$T_DIR/c.err" && fail "unauthorised CSE: connect refused"
ended && fail "unauthorised CSE: listener exits 1"
check_match "unauthorised CSE: listener names the MEF refusal" "$(cat "$T_DIR/l.err")" \
  'refused .*psk-unknown: .*fetch from the MEF failed: .*MEF mef.example.com refused \(HTTP 403.*CSE7 may not fetch SUID 22'
check_match "unauthorised CSE: device sees one clear line" "$(cat "$T_DIR/c.err")" \
  '^m2msec connect: [a-z-]+: '

# --- authorised: the CSE fetches Kpsa and both sides bind ---
mef_admin --sp-id //sp.example.com target allow --id /CSE7 --suid 22 --enrolee /CSE1001 \
  >/dev/null || fail "allow CSE7 SUID 22"
listen_cse7 "$T_DIR/l.out" "$T_DIR/l.err"
connect_dev "$S" "$T_DIR/c.out" "$T_DIR/c.err" || fail "connect with KeID: $(cat "$T_DIR/c.err")"
ended || fail "listener exits 0: $(cat "$T_DIR/l.err")"
check_eq "device binds the CSE-ID" "$(head -1 "$T_DIR/c.out")" "bound peer $CSE (psk)"
check_eq "device gets the CSE's line" "$(sed -n 2p "$T_DIR/c.out")" "hello device"
check_eq "CSE binds the device's Enrolee-ID" "$(head -1 "$T_DIR/l.out")" \
  "bound peer //sp.example.com/CSE1001 (psk)"
check_eq "CSE gets the device's line" "$(sed -n 2p "$T_DIR/l.out")" "hello cse"
KEID=$(python3 -c 'import json,sys; print(next(k["id"] for k in json.load(open(sys.argv[1]))["keys"] if k["type"]=="Ke"))' "$S/credentials.json")
check_eq "MEF audit: Kpsa (SUID 22) for the device's KeID issued to CSE7" \
  "$(mef_admin audit --json | python3 -c 'import json,sys; print(" ".join("%s:%s:%s" % (a["outcome"], a["suid"], a["target"]) for a in json.load(sys.stdin) if a["keId"]==sys.argv[1] and a["suid"]==22))' "$KEID")" \
  "issued:22:$CSE refused:22:$CSE"
KE=$(python3 -c 'import json,sys; print(next(k["key"] for k in json.load(open(sys.argv[1]))["keys"] if k["type"]=="Ke"))' "$S/credentials.json")
KPSA=$(jget "$(echo "$KE" | "$M2M" derive kpsa --ke - --id "$CSE" --reveal --json)" kpsa)
[ -n "$KPSA" ] || fail "reference Kpsa derived"
check_empty "the derived Kpsa is printed nowhere" "$(grep -l "$KPSA" "$T_DIR"/[lc].out "$T_DIR"/[lc].err)"

# --- second association from the CSE's cache: the MEF is stopped ---
mef_stop
listen_cse7 "$T_DIR/l.out" "$T_DIR/l.err"
connect_dev "$S" "$T_DIR/c.out" "$T_DIR/c.err" || fail "cached: connect"
ended || fail "cached: listener exits 0"
check_eq "cached Kpsa: CSE binds the Enrolee-ID without the MEF" "$(head -1 "$T_DIR/l.out")" \
  "bound peer //sp.example.com/CSE1001 (psk)"

# --- a KeID of an MEF the CSE does not know ---
X="$T_DIR/other"
mkdir -p "$X"
printf '{"version":1,"keys":[{"id":"%s@mef9.example.com","type":"Ke","key":"%s"}]}\n' \
  "${KEID%@*}" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$X/credentials.json"
chmod 600 "$X/credentials.json"
listen_cse7 "$T_DIR/l.out" "$T_DIR/l.err"
connect_dev "$X" "$T_DIR/c.out" "$T_DIR/c.err" && fail "other MEF's KeID: connect refused"
ended && fail "other MEF's KeID: listener exits 1"
check_match "other MEF's KeID: refused with the reason" "$(cat "$T_DIR/l.err")" \
  'refused .*psk-unknown: .*no MEF is configured for KeIDs of mef9.example.com'
check_match "other MEF's KeID: device fails with one line" "$(cat "$T_DIR/c.err")" '^m2msec connect: '

# --- usage ---
"$M2M" listen --port 1 --mef "mef.example.com=https://127.0.0.1:1" --id "$CSE" \
  --cert "$P/cse7.cert.pem" --key "$P/cse7.key.pem" >/dev/null 2>"$T_DIR/u.err"
check_eq "listen --mef without --mef-root/--store: usage error" "$?" 2
"$M2M" connect --port 1 --peer-id "$CSE" --from-enrolment "$T_DIR/nowhere" >/dev/null 2>"$T_DIR/u.err"
check_match "connect --from-enrolment without a store: one clear line" "$(cat "$T_DIR/u.err")" \
  '^m2msec connect: [a-z-]+: .*nowhere/credentials.json'
t_done
