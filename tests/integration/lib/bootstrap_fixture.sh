# Three daemons on 127.0.0.1 for the whole bootstrap: a Briefing Node, an MEF and a MAF,
# each an m2msecd with its own configuration and store. Source after common.sh and
# mef_fixture.sh; call boot_setup once.

boot_pki_extra() {
  {
    "$M2M" pki cert --flavour fqdn --id bbn.example.com --issuer "$P/sp" --out "$P/bbn"
    "$M2M" pki ca --out "$P/ent" --cn "Enterprise X Root"
    "$M2M" pki cert --flavour node-id --id urn:dev:ops:entx-gw-0001 --issuer "$P/ent" --out "$P/gw"
  } >/dev/null
  cp "$P/sp.cert.pem" "$P/bbn.chain.pem"
  : >"$P/gw.chain.pem"
}

# boot_maf_start: a MAF (maf.example.com) on $MAF_PORT that fetches from the MEF on
# $MEF_PORT, with BOOT_MAF_LINES appended to its [maf] section; sets MAF_PID.
boot_maf_start() {
  cat >"$T_DIR/maf.conf" <<CONF
[daemon]
store = sqlite:$T_DIR/maf.db
kek_file = $T_DIR/kek
log_level = debug
[maf]
fqdn = maf.example.com
listen = 127.0.0.1:$MAF_PORT
cert = $P/maf.cert.pem
key = $P/maf.key.pem
chain = $P/sp.cert.pem
trust = mefs
mef = mef.example.com https://127.0.0.1:$MEF_PORT
${BOOT_MAF_LINES:-}
[trust.mefs]
anchors = $P/root.cert.pem
flavours = fqdn
CONF
  "$M2MD" -c "$T_DIR/maf.conf" 2>>"$T_DIR/maf.log" &
  MAF_PID=$!
  T_PIDS+=("$MAF_PID")
  wait_for_port "$MAF_PORT" tcp 200 || return 1
}

# boot_bbn_start: a Briefing Node (bbn.example.com) on $BBN_PORT with the rules of
# $T_DIR/rules.conf and BOOT_BBN_LINES appended to its [bbn] section; sets BBN_PID.
boot_bbn_start() {
  cat >"$T_DIR/bbn.conf" <<CONF
[daemon]
store = sqlite:$T_DIR/bbn.db
kek_file = $T_DIR/kek
log_level = debug
[bbn]
fqdn = bbn.example.com
listen = 127.0.0.1:$BBN_PORT
cert = $P/bbn.cert.pem
key = $P/bbn.key.pem
chain = $P/sp.cert.pem
rules = $T_DIR/rules.conf
trust = manufacturer
${BOOT_BBN_LINES:-}
[trust.manufacturer]
anchors = $P/mfr.cert.pem
flavours = device
CONF
  "$M2MD" -c "$T_DIR/bbn.conf" 2>>"$T_DIR/bbn.log" &
  BBN_PID=$!
  T_PIDS+=("$BBN_PID")
  wait_for_port "$BBN_PORT" tcp 200
}

# boot_setup: PKI, registrations, rules, three daemons started.
boot_setup() {
  mef_pki
  boot_pki_extra
  MAF_PORT=$(free_port)
  BBN_PORT=$(free_port)
  mef_config "$(free_port)"
  KPM=8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677
  mef_admin --sp-id //sp.example.com enrolee add --id /CSE1001 --flavour device \
    --identity 0.2.481.1.100.3030.10011 --trust-set devices --lifetime 3600 \
    --maf-id maf.example.com --maf-uri "https://127.0.0.1:$MAF_PORT" >/dev/null
  # Every other device of the product line through one policy: /CSE-<serial>.
  mef_admin --sp-id //sp.example.com policy add --name line-3030 --flavour device \
    --trust-set devices --prefix 0.2.481.1.100.3030.2 --template '/CSE-{suffix}' \
    --lifetime 3600 --maf-id maf.example.com --maf-uri "https://127.0.0.1:$MAF_PORT" >/dev/null
  mef_admin --sp-id //sp.example.com psk add --kpm-id kpm-07@mef.example.com \
    --enrolee-id /CSE2002 --kpm-hex "$KPM" --maf-id maf.example.com \
    --maf-uri "https://127.0.0.1:$MAF_PORT" >/dev/null
  mef_admin target add --id maf.example.com >/dev/null
  mef_admin target allow --id maf.example.com --suid 21 --enrolee '*' >/dev/null
  mef_start || return 1

  boot_maf_start || return 1

  cat >"$T_DIR/rules.conf" <<CONF
[rule.plant-7-certificate]
trust = manufacturer
flavour = device
device_prefix = 0.2.481.1.100.3030
site = plant-7
mechanism = certificate
target_id = mef.example.com
target_uri = https://127.0.0.1:$MEF_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21
lifetime = 3600

[rule.psk-site]
trust = manufacturer
site = psk-site
mechanism = psk
target_id = mef.example.com
target_uri = https://127.0.0.1:$MEF_PORT
trust_anchors = $P/root.cert.pem
enrolment_targets = maf.example.com:21

[rule.pki-site]
trust = manufacturer
site = pki-site
mechanism = pki
target_id = mef.example.com
target_uri = https://127.0.0.1:$MEF_PORT
trust_anchors = $P/root.cert.pem
CONF
  boot_bbn_start
}

# boot NAME STATE [flags]: m2msec bootstrap as device NAME of the fixture PKI.
boot() {
  local name=$1 state=$2
  shift 2
  "$M2M" bootstrap --bbn "https://127.0.0.1:$BBN_PORT" --bbn-name bbn.example.com \
    --bbn-root "$P/root.cert.pem" --cert "$P/$name.cert.pem" --key "$P/$name.key.pem" \
    --chain "$P/$name.chain.pem" --state "$state" --timeout 10 "$@"
}
