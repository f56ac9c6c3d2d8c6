# An MEF on 127.0.0.1 with a fresh PKI, KEK and SQLite store in $T_DIR. Source after
# common.sh. Provides: mef_pki, mef_config, mef_start, mef_stop, mef_admin, s_enrol.
M2MD="$M2M_BIN/m2msecd"
P="$T_DIR/pki"

mef_pki() {
  mkdir -p "$P"
  {
    "$M2M" pki ca --out "$P/root" --cn "Test Root"
    "$M2M" pki ca --out "$P/sp" --issuer "$P/root" --permit-dns sp.example.com --permit-dns example.com --pathlen 0
    "$M2M" pki ca --out "$P/mfr" --issuer "$P/root" --pathlen 0
    "$M2M" pki ca --out "$P/rogue" --cn "Rogue Root"
    "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.10011 --issuer "$P/mfr" --out "$P/dev"
    "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.20022 --issuer "$P/mfr" --out "$P/dev2"
    "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.99999 --issuer "$P/mfr" --out "$P/unreg"
    "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.30033 --issuer "$P/mfr" --out "$P/old" --expired
    "$M2M" pki cert --flavour device --id 0.2.481.1.100.3030.10011 --issuer "$P/rogue" --out "$P/fake"
    "$M2M" pki cert --flavour fqdn --id mef.example.com --issuer "$P/sp" --out "$P/mef"
    "$M2M" pki cert --flavour fqdn --id maf.example.com --issuer "$P/sp" --out "$P/maf"
    "$M2M" pki cert --flavour fqdn --id maf2.example.com --issuer "$P/sp" --out "$P/maf2"
    "$M2M" pki cert --flavour cse-id --id cse7.in-cse.sp.example.com --issuer "$P/sp" --out "$P/cse7"
  } >/dev/null
  # NAME.chain.pem: what sits between NAME and the root; NAME.full.pem: both, for curl.
  for n in dev dev2 unreg old; do cp "$P/mfr.cert.pem" "$P/$n.chain.pem"; done
  cp "$P/rogue.cert.pem" "$P/fake.chain.pem"
  for n in maf maf2 cse7; do cp "$P/sp.cert.pem" "$P/$n.chain.pem"; done
  for n in dev dev2 unreg old fake maf maf2 cse7; do
    cat "$P/$n.cert.pem" "$P/$n.chain.pem" >"$P/$n.full.pem"
  done
  head -c 32 /dev/urandom >"$T_DIR/kek"
  chmod 600 "$T_DIR/kek"
}

# mef_config PORT [extra daemon lines]
mef_config() {
  MEF_PORT=$1
  cat >"$T_DIR/mef.conf" <<CONF
[daemon]
store = sqlite:$T_DIR/mef.db
kek_file = $T_DIR/kek
log_level = debug
timeout_ms = ${MEF_TIMEOUT_MS:-3000}
workers = ${MEF_WORKERS:-1}
${2:-}

[mef]
fqdn = mef.example.com
listen = 127.0.0.1:$MEF_PORT
cert = $P/mef.cert.pem
key = $P/mef.key.pem
chain = $P/sp.cert.pem
sp_id = //sp.example.com
in_cse_id = in-cse
ke_lifetime = 3600
psk = true

[trust.devices]
anchors = $P/root.cert.pem
flavours = device

[trust.targets]
anchors = $P/root.cert.pem
flavours = fqdn, cse-id, ae-id
CONF
}

mef_start() {
  "$M2MD" -c "$T_DIR/mef.conf" 2>>"$T_DIR/mef.log" &
  MEF_PID=$!
  T_PIDS+=("$MEF_PID")
  wait_for_port "$MEF_PORT" tcp 200
}

mef_stop() {
  kill "$MEF_PID" 2>/dev/null
  wait "$MEF_PID" 2>/dev/null
}

mef_admin() { "$M2M" mef --store "sqlite:$T_DIR/mef.db" --kek "$T_DIR/kek" "$@"; }

# s_enrol OUT NAME BODY [PATH]: an enrolment sent by hand through openssl s_client with the
# certificate NAME of the fixture PKI, exporting EXPORTER-oneM2M-Bootstrap. Leaves the
# transcript in OUT.
s_enrol() {
  local out=$1 name=$2 body=$3 path=${4:-/enrolment}
  { printf 'POST %s HTTP/1.1\r\nHost: mef.example.com\r\nContent-Type: application/json\r\nX-M2M-Origin: enrolee\r\nX-M2M-RI: 1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
      "$path" "${#body}" "$body"; sleep 0.5; } |
    timeout 10 openssl s_client -connect "127.0.0.1:$MEF_PORT" -servername mef.example.com -tls1_2 \
      -cert "$P/$name.cert.pem" -key "$P/$name.key.pem" -cert_chain "$P/$name.chain.pem" \
      -CAfile "$P/root.cert.pem" -verify_return_error -ign_eof ${S_CLIENT_EXTRA:-} \
      -keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48 >"$out" 2>&1
}

# The 48 exported bytes and the HTTP status / JSON body of an s_client transcript.
t_export() { sed -n 's/^ *Keying material: *//p' "$1" | tr 'A-F' 'a-f'; }
t_status() { sed -n 's/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$1" | head -n 1; }
# The first JSON object after the HTTP headers (s_client may print more on the same line).
t_body() {
  python3 - "$1" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
at = data.find("\r\n\r\n")
start = data.find("{", at if at >= 0 else 0)
if at >= 0 and start >= 0:
    try:
        obj, _ = json.JSONDecoder().raw_decode(data[start:])
        print(json.dumps(obj, separators=(",", ":")))
    except ValueError:
        pass
PY
}
