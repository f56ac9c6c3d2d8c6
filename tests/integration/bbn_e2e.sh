#!/usr/bin/env bash
# The Briefing Node end to end: m2msecd (role bbn) on 127.0.0.1, curl posting briefings with
# device certificates of a manufacturer root and node certificates of an enterprise root;
# rule order, 403 with the reason, 400 on malformed bodies, an untrusted root refused in the
# handshake, SIGHUP reloads (a broken file keeps the old rules), m2msec bbn rules check.
source "$(dirname "$0")/lib/common.sh"
M2MD="$M2M_BIN/m2msecd"
P="$T_DIR/pki"
mkdir -p "$P"
{
  "$M2M" pki ca --out "$P/sp" --cn "SP Root"
  "$M2M" pki ca --out "$P/mfr" --cn "Acme Devices"
  "$M2M" pki ca --out "$P/ent" --cn "Enterprise X"
  "$M2M" pki ca --out "$P/rogue" --cn "Rogue"
  "$M2M" pki cert --flavour fqdn --id bbn.example.com --issuer "$P/sp" --out "$P/bbn"
  "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.10011 --issuer "$P/mfr" --out "$P/dev"
  "$M2M" pki cert --flavour device --id 0.2.481.1.200.7 --issuer "$P/mfr" --out "$P/dev2"
  "$M2M" pki cert --flavour node-id --id urn:dev:ops:entx-gw-42 --issuer "$P/ent" --out "$P/node"
  "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.10011 --issuer "$P/rogue" --out "$P/fake"
} >/dev/null || { echo "pki setup failed"; exit 1; }
head -c 32 /dev/urandom >"$T_DIR/kek"; chmod 600 "$T_DIR/kek"
PORT=$(free_port)

cat >"$T_DIR/rules.conf" <<'RULES'
; first match wins
[rule.acme-north]
trust = acme
device_prefix = 0.2.481.1.100
site = plant-7
lat_min = 50
lat_max = 60
lon_min = 0
lon_max = 10
mechanism = certificate
target_id = mef-north.example.com
target_uri = https://mef-north.example.com:8443/enrolment
trust_anchors = pki/sp.cert.pem
enrolment_targets = maf.example.com:21, cse7.in-cse.sp.example.com:22
lifetime = 3600

[rule.acme-any]
trust = acme
flavour = device
identity = 0.2.481.1.100.*
mechanism = psk
target_id = mef.example.com
target_uri = https://mef.example.com:8443
trust_anchors = pki/sp.cert.pem

[rule.entx]
trust = entx
flavour = node-id
identity = urn:dev:ops:entx-*
transport = https
mechanism = pki
target_id = mef.entx.example.com
target_uri = https://mef.entx.example.com
trust_anchors = pki/sp.cert.pem, pki/ent.cert.pem
RULES

cat >"$T_DIR/bbn.conf" <<CONF
[daemon]
store = sqlite:$T_DIR/bbn.db
kek_file = $T_DIR/kek
log_level = debug
timeout_ms = 3000

[bbn]
fqdn = bbn.example.com
listen = 127.0.0.1:$PORT
cert = $P/bbn.cert.pem
key = $P/bbn.key.pem
rules = $T_DIR/rules.conf
trust = acme, entx

[trust.acme]
anchors = $P/mfr.cert.pem
flavours = device

[trust.entx]
anchors = $P/ent.cert.pem
flavours = node-id
CONF

check "rules check: the sample of the test is valid" "$M2M" bbn rules check "$T_DIR/rules.conf"
"$M2MD" -c "$T_DIR/bbn.conf" 2>>"$T_DIR/bbn.log" &
BBN_PID=$!
T_PIDS+=("$BBN_PID")
wait_for_port "$PORT" tcp 200 || { echo "bbn did not start"; cat "$T_DIR/bbn.log"; exit 1; }

# brief NAME BODY -> "HTTP BODY"
brief() {
  curl -s -m 5 --cacert "$P/sp.cert.pem" --cert "$P/$1.cert.pem" --key "$P/$1.key.pem" \
    --resolve "bbn.example.com:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
    -w '\n%{http_code}' --data-binary "$2" "https://bbn.example.com:$PORT/briefing"
}
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

NORTH='{"site":"plant-7","location":{"lat":50,"lon":10},"mechanisms":["certificate","psk"],"transports":["https"]}'
out=$(brief dev "$NORTH"); code=${out##*$'\n'}; body=${out%$'\n'*}
check_eq "device in the box at plant-7: 200" "$code" 200
check_eq "first rule wins: certificate" "$(field "$body" 'd["instruction"]["mechanism"]')" certificate
check_eq "target id" "$(field "$body" 'd["instruction"]["target"]["id"]')" mef-north.example.com
check_eq "enrolment targets with SUIDs" \
  "$(field "$body" '",".join("%s:%d" % (t["id"], t["suid"]) for t in d["instruction"]["enrolmentTargets"])')" \
  "maf.example.com:21,cse7.in-cse.sp.example.com:22"
check_match "trust anchor is PEM" "$(field "$body" 'd["instruction"]["trustAnchors"][0]')" "BEGIN CERTIFICATE"
check_match "expires is RFC 3339" "$(field "$body" 'd["instruction"]["expires"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$'

out=$(brief dev '{"site":"plant-7","location":{"lat":60.5,"lon":5},"mechanisms":["certificate","psk"],"transports":["https"]}')
body=${out%$'\n'*}
check_eq "outside the box: the next rule (psk)" "$(field "$body" 'd["instruction"]["mechanism"]')" psk
out=$(brief dev '{"site":"plant-7","location":{"lat":55,"lon":5},"mechanisms":["psk"],"transports":["https"]}')
body=${out%$'\n'*}
check_eq "node without certificate mechanism: psk rule" "$(field "$body" 'd["instruction"]["mechanism"]')" psk

out=$(brief node '{"mechanisms":["pki"],"transports":["https"]}'); code=${out##*$'\n'}; body=${out%$'\n'*}
check_eq "enterprise node: 200" "$code" 200
check_eq "enterprise rule" "$(field "$body" 'd["instruction"]["target"]["id"]')" mef.entx.example.com
check_eq "two anchors embedded" "$(field "$body" 'len(d["instruction"]["trustAnchors"])')" 2

out=$(brief dev2 '{"mechanisms":["certificate","psk"],"transports":["https"]}'); code=${out##*$'\n'}; body=${out%$'\n'*}
check_eq "device under another arc: 403" "$code" 403
check_match "403 names the reason" "$(field "$body" 'd["errorString"]')" "^no rule matches: device '0.2.481.1.200.7' of trust set 'acme'"
out=$(brief node '{"mechanisms":["pki"],"transports":["coaps"]}'); code=${out##*$'\n'}
check_eq "enterprise node on another transport: 403" "$code" 403

for bad in '{"mechanisms":"psk","transports":["https"]}' '{"transports":["https"]}' \
  '{"mechanisms":["psk"],"transports":["https"],"location":{"lat":91,"lon":0}}' \
  '{"mechanisms":["psk"],"transports":["https"],"location":{"lat":0,"lon":-180.5}}' \
  '{"mechanisms":["psk"],"transports":["https"],"site":7}' '[1,2]' 'not json' \
  '{"mechanisms":["a","b","c","d","e","f","g","h","i"],"transports":["https"]}'; do
  out=$(brief dev "$bad"); code=${out##*$'\n'}; body=${out%$'\n'*}
  check_eq "400 for $bad" "$code" 400
done
check_match "400 says why" "$(field "$(brief dev '{"transports":["https"]}' | head -1)" 'd["errorString"]')" "mechanisms"
big=$(python3 -c 'print("{\"mechanisms\":[\"psk\"],\"transports\":[\"https\"],\"site\":\"" + "x"*20000 + "\"}")')
out=$(brief dev "$big"); code=${out##*$'\n'}
check_match "oversized body refused" "$code" '^4[01][03]$'

check_fails "device certificate from an untrusted root: handshake refused" \
  curl -s -f -m 5 --cacert "$P/sp.cert.pem" --cert "$P/fake.cert.pem" --key "$P/fake.key.pem" \
  --resolve "bbn.example.com:$PORT:127.0.0.1" -d "$NORTH" "https://bbn.example.com:$PORT/briefing"
check_fails "no client certificate: handshake refused" \
  curl -s -f -m 5 --cacert "$P/sp.cert.pem" \
  --resolve "bbn.example.com:$PORT:127.0.0.1" -d "$NORTH" "https://bbn.example.com:$PORT/briefing"

# SIGHUP: a changed file takes effect; a broken one keeps the rules in force.
sed -i 's/^mechanism = psk$/mechanism = gba/' "$T_DIR/rules.conf"
sed -i 's/^site = plant-7$/site = plant-8/' "$T_DIR/rules.conf"
kill -HUP "$BBN_PID"; sleep 0.3
out=$(brief dev '{"site":"plant-7","mechanisms":["gba"],"transports":["https"]}'); body=${out%$'\n'*}
check_eq "after SIGHUP: the changed rule answers" "$(field "$body" 'd["instruction"]["mechanism"]')" gba
cp "$T_DIR/rules.conf" "$T_DIR/rules.good"
printf '[rule.broken]\nmechanism = teleport\n' >>"$T_DIR/rules.conf"
kill -HUP "$BBN_PID"; sleep 0.3
out=$(brief dev '{"site":"plant-7","mechanisms":["gba"],"transports":["https"]}'); body=${out%$'\n'*}
check_eq "broken file on SIGHUP: old rules kept" "$(field "$body" 'd["instruction"]["mechanism"]')" gba
check_match "broken file: the log says why" "$(cat "$T_DIR/bbn.log")" "keeping the previous rules"
kill -0 "$BBN_PID" 2>/dev/null && ok "daemon still running" || fail "daemon died"

# m2msec bbn rules check on bad files: each error with its line, exit 1; usage exit 2.
cat >"$T_DIR/bad.conf" <<'BAD'
[rule.a]
lat_min = 91
colour = blue
mechanism = psk
target_id = mef.example.com
target_uri = https://mef.example.com
trust_anchors = /nonexistent/anchor.pem
[rule.a]
mechanism = psk
[rule.nothing]
site = x
lifetime = soon
BAD
errs=$("$M2M" bbn rules check "$T_DIR/bad.conf" 2>&1 >/dev/null); rc=$?
check_eq "bad file: exit 1" "$rc" 1
check_match "line 2: latitude out of range" "$errs" "bad.conf:2: .*outside \[-90, 90\]"
check_match "line 3: unknown key" "$errs" "bad.conf:3: unknown key 'colour'"
check_match "line 7: unreadable anchors" "$errs" "bad.conf:7: trust anchors"
check_match "line 8: duplicate rule" "$errs" "bad.conf:8: rule 'a' already defined at line 1"
check_match "line 10: rule without result" "$errs" "bad.conf:10: rule 'nothing' has no complete result"
check_match "line 12: bad number" "$errs" "bad.conf:12: 'soon' is not a whole number"
"$M2M" bbn rules check >/dev/null 2>&1; check_eq "usage: exit 2" "$?" 2
"$M2M" bbn rules check "$T_DIR/missing.conf" >/dev/null 2>&1; check_eq "missing file: exit 1" "$?" 1
summary=$("$M2M" bbn rules check "$T_DIR/rules.good")
check_match "valid file: one-line summary" "$summary" "valid, 3 rule\(s\): acme-north acme-any entx"

kill "$BBN_PID"; wait "$BBN_PID" 2>/dev/null
t_done
