# CoAPS on top of the MEF fixture: a coaps_listen line in the MEF's configuration, and
# coap-client-openssl (libcoap's own client, written by others) as the independent peer.
# Source after common.sh and mef_fixture.sh.
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap_fixture.sh"

# coap_mef_enable PORT: adds coaps_listen, and trusts the intermediates (mfr for devices, sp
# for targets) as anchors: coap-client sends its leaf certificate only, no chain.
coap_mef_enable() {
  COAP_PORT=$1
  cat "$P/root.cert.pem" "$P/mfr.cert.pem" >"$P/dev-anchors.pem"
  cat "$P/root.cert.pem" "$P/sp.cert.pem" >"$P/target-anchors.pem"
  python3 - "$T_DIR/mef.conf" "$COAP_PORT" "$P/dev-anchors.pem" "$P/target-anchors.pem" <<'PY'
import sys
path, port, anchors, targets = sys.argv[1:5]
lines = open(path).read().split("\n")
out, section = [], None
for line in lines:
    if line.startswith("["):
        section = line
    if section == "[trust.devices]" and line.startswith("anchors ="):
        line = "anchors = " + anchors
    if section == "[trust.targets]" and line.startswith("anchors ="):
        line = "anchors = " + targets
    out.append(line)
    if line.startswith("listen =") and section == "[mef]":
        out.append("coaps_listen = 127.0.0.1:" + port)
open(path, "w").write("\n".join(out))
PY
}

# coap_cli OUT ARGS...: coap-client-openssl, bounded, stdout and stderr into OUT.
coap_cli() {
  local out=$1; shift
  timeout 20 coap-client-openssl -B 8 "$@" >"$out" 2>&1
}

# A CoAP response code line as coap-client prints it for errors ("4.03 {...}"), or "2.xx"
# when it printed a JSON body without one.
coap_code() {
  local c
  c=$(grep -oE '^[245]\.[0-9]{2}' "$1" | head -n 1)
  if [ -n "$c" ]; then echo "$c"; elif grep -q '^{' "$1"; then echo 2.xx; else echo none; fi
}
coap_json() { grep -oE '\{.*\}' "$1" | head -n 1; }

# coap_boot_setup: a Briefing Node, an MEF and a MAF, each also listening for CoAPS; the
# Briefing Node's rules send nodes to the MEF's coaps:// URI and the MEF's instructions
# name the MAF's coaps:// URI. Needs boot_pki_extra (bootstrap_fixture.sh).
coap_boot_setup() {
  mef_pki
  boot_pki_extra
  MAF_PORT=$(free_port); MAF_COAP=$(free_port udp)
  BBN_PORT=$(free_port); BBN_COAP=$(free_port udp)
  mef_config "$(free_port)"
  coap_mef_enable "$(free_port udp)"
  KPM=8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677
  cat "$P/root.cert.pem" "$P/sp.cert.pem" "$P/mfr.cert.pem" "$P/ent.cert.pem" >"$T_DIR/anchors4.pem"
  mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
    --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
    --maf-id maf.example.com --maf-uri "coaps://127.0.0.1:$MAF_COAP" >/dev/null || return 1
  mef_admin --sp-id //sp.example.com psk add --kpm-id kpm-07@mef.example.com \
    --enrolee-id /CSE2002 --kpm-hex "$KPM" --maf-id maf.example.com \
    --maf-uri "coaps://127.0.0.1:$MAF_COAP" >/dev/null || return 1
  mef_admin target add --id maf.example.com >/dev/null &&
    mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null || return 1
  mef_start || return 1
  wait_for_port "$COAP_PORT" udp 200 || return 1
  BOOT_MAF_LINES="coaps_listen = 127.0.0.1:$MAF_COAP
${MAF_EXTRA:-}
fetch_timeout_ms = ${MAF_FETCH_TIMEOUT_MS:-5000}" boot_maf_start || return 1
  wait_for_port "$MAF_COAP" udp 200 || return 1
  cat >"$T_DIR/rules.conf" <<CONF
[rule.coap-certificate]
trust = manufacturer
site = plant-7
mechanism = certificate
transport = coaps
target_id = mef.example.com
target_uri = coaps://127.0.0.1:$COAP_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21

[rule.coap-psk]
trust = manufacturer
site = psk-site
mechanism = psk
target_id = mef.example.com
target_uri = coaps://127.0.0.1:$COAP_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21

[rule.big-instruction]
trust = manufacturer
site = big
mechanism = certificate
target_id = mef.example.com
target_uri = coaps://127.0.0.1:$COAP_PORT
trust_anchors = $T_DIR/anchors4.pem
CONF
  BOOT_BBN_LINES="coaps_listen = 127.0.0.1:$BBN_COAP" boot_bbn_start || return 1
  wait_for_port "$BBN_COAP" udp 200
}

# coap_boot NAME STATE [flags]: m2msec bootstrap over CoAPS as device NAME.
coap_boot() {
  local name=$1 state=$2
  shift 2
  "$M2M" bootstrap --bbn "coaps://127.0.0.1:$BBN_COAP" --bbn-name bbn.example.com \
    --bbn-root "$P/root.cert.pem" --cert "$P/$name.cert.pem" --key "$P/$name.key.pem" \
    --chain "$P/$name.chain.pem" --state "$state" --timeout 10 "$@"
}
