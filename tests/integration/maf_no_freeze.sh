#!/usr/bin/env bash
# A fetch must not freeze the MAF (issue: "The fetch must not freeze the server"): while one
# handshake waits on an MEF that accepts but never answers, another device registers at once.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/bootstrap_fixture.sh"

boot_setup || { fail "daemons start"; t_done; exit 1; }
boot dev "$T_DIR/dev" --site plant-7 >/dev/null || fail "device bootstrapped"
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]))' "$@"; }
KMID=$(field "$T_DIR/dev" Km id)
KM=$(field "$T_DIR/dev" Km key)

# An "MEF" that accepts connections and never says a word.
BH=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); held=[]
end=time.time()+60
while time.time() < end:
    s.settimeout(1)
    try: held.append(s.accept()[0])
    except OSError: pass' "$BH" &
T_PIDS+=($!)
wait_for_port "$BH" tcp 100 || fail "black-hole MEF listening"

kill "$MAF_PID"; wait "$MAF_PID" 2>/dev/null
sed -i "/^mef = mef.example.com/a mef = mef9.example.com https://127.0.0.1:$BH\nfetch_timeout_ms = 4000" "$T_DIR/maf.conf"
"$M2MD" -c "$T_DIR/maf.conf" 2>>"$T_DIR/maf.log" &
MAF_PID=$!
T_PIDS+=("$MAF_PID")
wait_for_port "$MAF_PORT" tcp 200 || fail "MAF restarts"

reg() { # OUT IDENTITY KMHEX
  local body='{}'
  { printf 'POST /clientRegistration HTTP/1.1\r\nHost: maf.example.com\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
      "${#body}" "$body"; sleep 0.3; } |
    timeout 15 openssl s_client -connect "127.0.0.1:$MAF_PORT" -servername maf.example.com \
      -tls1_2 -cipher PSK-AES128-CBC-SHA256 -psk "$3" -psk_identity "$2" -ign_eof >"$1" 2>&1
}

start=$(date +%s%N)
reg "$T_DIR/stuck" 000102030405060708090a0b0c0d0e0f@mef9.example.com "$(printf '%064d' 7)" &
STUCK=$!
sleep 0.5
t0=$(date +%s%N)
reg "$T_DIR/quick" "$KMID" "$KM"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "a cached device registers while a fetch hangs" "$(t_status "$T_DIR/quick")" 201
if [ "$took" -lt 2500 ]; then ok "in ${took} ms, not held behind the hanging fetch"; else fail "took ${took} ms"; fi
wait "$STUCK"
stuck_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_empty "the handshake waiting on the silent MEF fails" "$(t_status "$T_DIR/stuck")"
if [ "$stuck_ms" -ge 3500 ] && [ "$stuck_ms" -lt 12000 ]; then ok "after the 4 s fetch timeout (${stuck_ms} ms)"; else fail "stuck handshake ended after ${stuck_ms} ms"; fi
check_match "the MAF logged why" "$(cat "$T_DIR/maf.log")" 'mef9.example.com'
t_done
