#!/usr/bin/env bash
# The MAF daemon end to end with real processes: an MEF, a MAF, devices enrolled with
# `m2msec enrol`, and TLS-PSK handshakes from `openssl s_client` posting /clientRegistration.
# First handshake fetches Km from the MEF; later ones (KeID or KmID) come from the cache with
# the MEF stopped; refusals: another MEF's KeID, MEF down (then a retry), Ke revoked at the
# MEF, Km revoked or expired at the MAF; 20 concurrent first handshakes make one fetch.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"

mef_pki
mef_config "$(free_port)"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
  --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com >/dev/null || fail "register device"
mef_admin --sp-id //sp.example.com enrolee add --id /CSE1002 --flavour device \
  --identity 0.2.481.1.100.3030.20022 --trust-set devices --lifetime 3600 \
  --maf-id maf.example.com >/dev/null || fail "register device 2"
mef_admin target add --id maf.example.com >/dev/null &&
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || fail "target"
mef_start || { fail "MEF starts"; t_done; exit 1; }
MEF="https://127.0.0.1:$MEF_PORT"

enrol() { # STATE NAME
  "$M2M" enrol --mef "$MEF" --mef-name mef.example.com --mef-root "$P/root.cert.pem" \
    --cert "$P/$2.cert.pem" --key "$P/$2.key.pem" --chain "$P/$2.chain.pem" \
    --state "$1" --json >/dev/null
}
store_field() { # STATE TYPE FIELD (the newest key of that type)
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print([k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]][-1])' "$@"
}
# Each device state: its KeID, Km and KmID as the enrolee stored them.
declare -A KE KM KMID
enrol_as() { # TAG NAME
  enrol "$T_DIR/$1" "$2" || { fail "enrol $1"; return 1; }
  KE[$1]=$(store_field "$T_DIR/$1" Km keId)
  KM[$1]=$(store_field "$T_DIR/$1" Km key)
  KMID[$1]=$(store_field "$T_DIR/$1" Km id)
}
enrol_as a dev
enrol_as b dev2
enrol_as c dev
enrol_as d dev2
check_match "enrolee A has a KeID" "${KE[a]}" '^[0-9a-f]{32}@mef.example.com$'
check_match "enrolee A has its KmID" "${KMID[a]}" '^[0-9a-f]{32}@maf.example.com$'

MAF_PORT=$(free_port)
cat >"$T_DIR/maf.conf" <<CONF
[daemon]
store = sqlite:$T_DIR/maf.db
kek_file = $T_DIR/kek
log_level = debug
timeout_ms = 5000

[maf]
fqdn = maf.example.com
listen = 127.0.0.1:$MAF_PORT
cert = $P/maf.cert.pem
key = $P/maf.key.pem
chain = $P/maf.chain.pem
trust = mefs
mef = mef.example.com $MEF
threads = 4
fetch_timeout_ms = 2000
registration_lifetime = 600

[trust.mefs]
anchors = $P/root.cert.pem
flavours = fqdn
CONF
"$M2M_BIN/m2msecd" -c "$T_DIR/maf.conf" 2>>"$T_DIR/maf.log" &
MAF_PID=$!
T_PIDS+=("$MAF_PID")
wait_for_port "$MAF_PORT" tcp 200 || { fail "MAF starts"; cat "$T_DIR/maf.log"; t_done; exit 1; }
ok "MAF starts"
maf_admin() { "$M2M" maf --store "sqlite:$T_DIR/maf.db" --kek "$T_DIR/kek" "$@"; }

# psk_reg OUT IDENTITY KMHEX [ORIGIN]: a TLS-PSK session with s_client, POST /clientRegistration.
psk_reg() {
  local out=$1 id=$2 km=$3 origin=${4:-} body='{}' hdr=''
  [ -n "$origin" ] && hdr="X-M2M-Origin: $origin"$'\r\n'
  { printf 'POST /clientRegistration HTTP/1.1\r\nHost: maf.example.com\r\nContent-Type: application/json\r\n%sX-M2M-RI: 1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
      "$hdr" "${#body}" "$body"; sleep 0.6; } |
    timeout 15 openssl s_client -connect "127.0.0.1:$MAF_PORT" -servername maf.example.com \
      -tls1_2 -cipher PSK-AES128-CBC-SHA256 -psk "$km" -psk_identity "$id" -ign_eof >"$out" 2>&1
}
reg_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2],""))' "$(t_body "$1")" "$2"; }
log_has() { # NAME REGEX: a line of the MAF's log matches
  if grep -qE -- "$2" "$T_DIR/maf.log"; then ok "$1"; else fail "$1: no log line matches /$2/"; fi
}
audit_issued() { # KEID -> number of fetchCredentials issuances the MEF audited for it
  mef_admin audit --json | python3 -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if r["event"]=="fetchCredentials" and r["outcome"]=="issued" and r["keId"]==sys.argv[1]))' "$1"
}

# --- first handshake: fetch from the MEF, cache, register ---
psk_reg "$T_DIR/r1" "${KE[a]}" "${KM[a]}" //sp.example.com/CSE1001
check_eq "first handshake with KeID: 201" "$(t_status "$T_DIR/r1")" 201
check_eq "assignedSymmKeyId = the enrolee's KmID" "$(reg_field "$T_DIR/r1" assignedSymmKeyId)" "${KMID[a]}"
check_eq "bound to the MEF's Enrolee-ID" "$(reg_field "$T_DIR/r1" enroleeId)" //sp.example.com/CSE1001
check_match "a client registration id" "$(reg_field "$T_DIR/r1" clientRegId)" '^reg-[0-9a-f]+$'
check_eq "the MEF issued Km once" "$(audit_issued "${KE[a]}")" 1
check_match "maf keys list shows KeID and KmID" "$(maf_admin keys list --json)" "${KMID[a]}"
if grep -q "${KM[a]}" "$T_DIR/maf.log"; then fail "Km never logged"; else ok "Km never logged"; fi
psk_reg "$T_DIR/r1b" "${KE[a]}" "${KM[a]}" //sp.example.com/CSE9999
check_eq "an originator other than the bound enrolee: 403" "$(t_status "$T_DIR/r1b")" 403
psk_reg "$T_DIR/r1c" "${KE[a]}" "$(printf '%064d' 0)"
check_empty "a wrong Km fails the handshake" "$(t_status "$T_DIR/r1c")"

# --- the cache, with the MEF stopped ---
mef_stop
psk_reg "$T_DIR/r2" "${KMID[a]}" "${KM[a]}"
check_eq "KmID from the cache, MEF stopped: 201" "$(t_status "$T_DIR/r2")" 201
check_eq "same KmID assigned" "$(reg_field "$T_DIR/r2" assignedSymmKeyId)" "${KMID[a]}"
psk_reg "$T_DIR/r3" "${KE[a]}" "${KM[a]}"
check_eq "KeID from the cache, MEF stopped: 201" "$(t_status "$T_DIR/r3")" 201

# --- MEF down during a first handshake, then back ---
psk_reg "$T_DIR/r4" "${KE[b]}" "${KM[b]}"
check_empty "MEF down: the first handshake fails" "$(t_status "$T_DIR/r4")"
log_has "MEF down: the reason is logged" "${KE[b]} refused: .*fetch from the MEF failed.*connect"
mef_start || fail "MEF restarts"
psk_reg "$T_DIR/r5" "${KE[b]}" "${KM[b]}"
check_eq "retry with the MEF back: 201" "$(t_status "$T_DIR/r5")" 201
check_eq "retry: enrolee B bound" "$(reg_field "$T_DIR/r5" enroleeId)" //sp.example.com/CSE1002

# --- KeID of an MEF the MAF does not know ---
OTHER=00112233445566778899aabbccddeeff@mef2.example.com
psk_reg "$T_DIR/r6" "$OTHER" "${KM[a]}"
check_empty "KeID of another MEF refused" "$(t_status "$T_DIR/r6")"
log_has "another MEF: reason logged" "no MEF is configured for KeIDs of mef2.example.com"

# --- Ke revoked at the MEF before the device's first MAF handshake ---
mef_admin keys revoke --keid "${KE[c]}" >/dev/null || fail "revoke Ke at the MEF"
psk_reg "$T_DIR/r7" "${KE[c]}" "${KM[c]}"
check_empty "Ke revoked at the MEF: handshake refused" "$(t_status "$T_DIR/r7")"
log_has "revoked Ke: the MEF's refusal is logged" "${KE[c]} refused: .*MEF mef.example.com refused .*revoked"

# --- Km revoked, or expired, at the MAF: refused, not refetched ---
maf_admin keys revoke --key-id "${KMID[a]}" >/dev/null || fail "maf keys revoke"
psk_reg "$T_DIR/r8" "${KE[a]}" "${KM[a]}"
check_empty "Km revoked at the MAF: KeID refused" "$(t_status "$T_DIR/r8")"
psk_reg "$T_DIR/r9" "${KMID[a]}" "${KM[a]}"
check_empty "Km revoked at the MAF: KmID refused" "$(t_status "$T_DIR/r9")"
check_eq "a revoked Km is not fetched again" "$(audit_issued "${KE[a]}")" 1
# Time passing, as the key's lifetime runs out: the cached row's expiry moved to the past.
python3 - "$T_DIR/maf.db" "${KE[b]}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute("UPDATE maf_key SET expires = 1 WHERE keid = ?", (sys.argv[2],)); db.commit()
PY
psk_reg "$T_DIR/r10" "${KE[b]}" "${KM[b]}"
check_empty "Km expired at the MAF: refused" "$(t_status "$T_DIR/r10")"
log_has "expired: reason logged" "${KE[b]} refused: .*cached key expired"
check_match "maf keys list shows the states" "$(maf_admin keys list --json)" 'revoked'

# --- 20 concurrent first handshakes for one KeID: one fetch ---
for i in $(seq 1 20); do psk_reg "$T_DIR/c$i" "${KE[d]}" "${KM[d]}" & done
for job in $(jobs -p); do [ "$job" != "$MAF_PID" ] && [ "$job" != "$MEF_PID" ] && wait "$job"; done
n201=0
for i in $(seq 1 20); do [ "$(t_status "$T_DIR/c$i")" = 201 ] && n201=$((n201 + 1)); done
check_eq "20 concurrent first handshakes all registered" "$n201" 20
check_eq "the MEF's audit shows ONE issuance for that KeID" "$(audit_issued "${KE[d]}")" 1
check_match "registrations name the same KmID" "$(reg_field "$T_DIR/c7" assignedSymmKeyId)" "^${KMID[d]}\$"

# --- SIGTERM drains and exits ---
kill -TERM "$MAF_PID"
for _ in $(seq 1 100); do kill -0 "$MAF_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$MAF_PID" 2>/dev/null; then fail "MAF exits on SIGTERM"; else ok "MAF exits on SIGTERM"; fi
if grep -q "Sanitizer" "$T_DIR/maf.log"; then fail "no sanitizer report in the MAF's log"; grep -A20 Sanitizer "$T_DIR/maf.log" | head -40; else ok "no sanitizer report in the MAF's log"; fi
check "bad [maf] config refused" bash -c "printf '[daemon]\nstore = sqlite:$T_DIR/x.db\nkek_file = $T_DIR/kek\n[maf]\nfqdn = maf.example.com\n' >'$T_DIR/bad.conf'; ! '$M2M_BIN/m2msecd' -c '$T_DIR/bad.conf' --check"

t_done
