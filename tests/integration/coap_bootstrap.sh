#!/usr/bin/env bash
# m2msec bootstrap entirely over CoAP with DTLS (SPEC.md section 7; docs/coap.md): the
# briefing from a Briefing Node's coaps:// listener, the enrolment at the coaps:// MEF it
# names, and the client registration over DTLS-PSK at the MAF's coaps:// URI, where the MAF
# fetches Km from the MEF inside the handshake without holding other CoAPS traffic. Also:
# libcoap's coap-client receives a block-wise briefing, refusals name their phase.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mef_fixture.sh"
. "$(dirname "$0")/lib/bootstrap_fixture.sh"
. "$(dirname "$0")/lib/coap_fixture.sh"

# A second MEF that accepts connections and never answers: a MAF fetch from it hangs until
# fetch_timeout_ms.
SLOW_PORT=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); c=[]
t=time.time()
while time.time()-t < 120:
    s.settimeout(1)
    try: c.append(s.accept()[0])
    except OSError: pass' "$SLOW_PORT" &
T_PIDS+=("$!")
MAF_EXTRA="mef = slow.example.com https://127.0.0.1:$SLOW_PORT"
MAF_FETCH_TIMEOUT_MS=6000
coap_boot_setup || { fail "daemons start"; tail -n 5 "$T_DIR"/*.log; t_done; exit 1; }
ok "bbn, mef and maf listening for CoAPS"
store_field() { # STATE TYPE FIELD
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/credentials.json"))
print(next(k[sys.argv[3]] for k in d["keys"] if k["type"]==sys.argv[2]))' "$@"
}

# --- certificate framework, every phase over CoAPS ---
S="$T_DIR/dev"
out=$(coap_boot dev "$S" --site plant-7) || fail "bootstrap over CoAPS (certificate) exits 0"
check_match "briefing over CoAPS names the coaps:// MEF" "$out" "briefing +mechanism certificate, target mef.example.com at coaps://127.0.0.1:$COAP_PORT"
check_match "enrolled over CoAPS" "$out" 'execution +enrolled at mef.example.com: KeID [0-9a-f]{32}@mef.example.com'
check_match "registered with the MAF over DTLS-PSK" "$out" 'registered with MAF maf.example.com: clientRegId [^,]+, KmID [0-9a-f]{32}@maf.example.com'
check_eq "store holds the Enrolee-ID" "$(store_field "$S" Ke enroleeId)" //sp.example.com/CSE1001
KMID=$(store_field "$S" Km id)
check_match "the MAF assigned the KmID the device derived" "$out" "KmID $KMID"
MAFKEYS=$("$M2M" maf --store "sqlite:$T_DIR/maf.db" --kek "$T_DIR/kek" keys list --json)
check_match "the MAF cached the device's Km (fetched over its CoAPS handshake)" "$MAFKEYS" "$KMID"
check_match "MAF log: fetch during the CoAPS handshake" "$(cat "$T_DIR/maf.log")" 'maf coaps: Km for [0-9a-f]{32}@mef.example.com .* fetched from mef.example.com'
check_match "BBN log: the briefing came over CoAPS" "$(cat "$T_DIR/bbn.log")" "coaps POST /briefing: .*rule 'coap-certificate'"

# --- a MAF fetch that hangs does not hold other CoAPS handshakes ---
timeout 12 coap-client-openssl -B 10 -m post -e '{}' -u "0123456789abcdef0123456789abcdef@slow.example.com" \
  -k 'any-key-any-key-any-key-any-key!' "coaps://127.0.0.1:$MAF_COAP/clientRegistration" >/dev/null 2>&1 &
HUNG=$!
sleep 0.5
S2="$T_DIR/psk"
t0=$(date +%s%N)
out=$(coap_boot dev2 "$S2" --site psk-site --kpm-id kpm-07@mef.example.com --kpm-hex "$KPM") ||
  fail "bootstrap over CoAPS (PSK) exits 0"
ms=$((($(date +%s%N) - t0) / 1000000))
check_match "psk: registered with the MAF" "$out" 'registered with MAF maf.example.com'
check_eq "psk: Enrolee-ID of the KpmID" "$(store_field "$S2" Ke enroleeId)" //sp.example.com/CSE2002
if [ "$ms" -lt 5000 ]; then ok "a whole bootstrap (${ms} ms) ran while another fetch hung (6 s bound)"; else fail "bootstrap took ${ms} ms during a hung fetch"; fi
if kill -0 "$HUNG" 2>/dev/null; then ok "the hung handshake was still waiting meanwhile"; else fail "the hung handshake ended early"; fi
wait "$HUNG"
check_match "the hung fetch is refused at its timeout" "$(cat "$T_DIR/maf.log")" 'PSK identity 0123456789abcdef0123456789abcdef@slow.example.com refused'

# --- coap-client receives a block-wise briefing (four PEM anchors, RFC 7959 Block2) ---
coap_cli "$T_DIR/b1" -m post -t 50 -e '{"site":"big","mechanisms":["certificate"],"transports":["coaps"]}' \
  -c "$P/dev.cert.pem" -j "$P/dev.key.pem" -R "$P/root.cert.pem" "coaps://127.0.0.1:$BBN_COAP/briefing"
N=$(coap_json "$T_DIR/b1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instruction"]["trustAnchors"]))' 2>/dev/null)
check_eq "coap-client reassembles the block-wise instruction (4 anchors)" "$N" 4
out=$(coap_boot dev "$T_DIR/big" --site big) || fail "bootstrap with a block-wise instruction exits 0"
check_match "m2msec reassembles it too" "$out" 'briefing +mechanism certificate, .*4 trust anchor\(s\)'

# --- refusals: phase named, store untouched ---
before=$(sha256sum "$S/credentials.json")
coap_boot dev "$S" --site nowhere >/dev/null 2>"$T_DIR/err" && fail "rule mismatch refused"
check_match "rule mismatch over CoAPS: briefing phase, 403 and reason" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: briefing failed: .*403.*no rule matches'
"$M2M" bootstrap --bbn "coaps://127.0.0.1:$BBN_COAP" --bbn-name bbn.example.com \
  --bbn-root "$P/rogue.cert.pem" --cert "$P/dev.cert.pem" --key "$P/dev.key.pem" \
  --chain "$P/dev.chain.pem" --state "$S" --site plant-7 --timeout 5 >/dev/null 2>"$T_DIR/err" &&
  fail "untrusted Briefing Node refused"
check_match "untrusted Briefing Node: briefing phase, certificate check" "$(cat "$T_DIR/err")" \
  '^m2msec bootstrap: briefing failed: .*(trust anchor|untrusted|chain)'
coap_cli "$T_DIR/b2" -B 4 -m post -t 50 -e '{"site":"plant-7","mechanisms":["certificate"],"transports":["coaps"]}' \
  -c "$P/fake.cert.pem" -j "$P/fake.key.pem" -R "$P/root.cert.pem" "coaps://127.0.0.1:$BBN_COAP/briefing"
check_eq "briefing with a rogue certificate: no answer" "$(coap_code "$T_DIR/b2")" none
check_eq "store unchanged after refusals" "$(sha256sum "$S/credentials.json")" "$before"

t_done
