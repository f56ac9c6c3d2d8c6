# Shared set-up of the association tests (sourced after common.sh): a PKI made with
# `m2msec pki`, PSK files, and helpers that run `m2msec listen` / `m2msec connect` once.
SP=//sp.example.com
ID_A=$SP/CSEA
ID_B=$SP/CSEB
ID_AE=$SP/CSEB/Cae1
KPSA_ID=00112233445566778899aabbccddeeff@sp.example.com
KPSA_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
OTHER_KEY=ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# assoc_pki: root CA (with an intermediate "sub" below it), a foreign root, and entities.
assoc_pki() {
  local d=$T_DIR
  "$M2M" pki ca --out "$d/root" --permit-dns sp.example.com >/dev/null &&
  "$M2M" pki ca --out "$d/sub" --issuer "$d/root" --permit-dns sp.example.com >/dev/null &&
  "$M2M" pki ca --out "$d/other" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csea.sp.example.com --issuer "$d/root" --out "$d/a" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id cseb.sp.example.com --issuer "$d/root" --out "$d/b" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csea.sp.example.com --issuer "$d/sub" --out "$d/a_sub" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id cseb.sp.example.com --issuer "$d/sub" --out "$d/b_sub" >/dev/null &&
  "$M2M" pki cert --flavour ae-id --id onem2m://sp.example.com/CSEB/Cae1 --issuer "$d/root" --out "$d/ae" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csea.sp.example.com --issuer "$d/other" --out "$d/a_other" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csea.sp.example.com --issuer "$d/root" --expired --out "$d/a_expired" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csea.sp.example.com --issuer "$d/root" --out "$d/a_revoked" >/dev/null &&
  "$M2M" pki cert --flavour cse-id --id csex.sp.example.com --issuer "$d/root" --out "$d/x" >/dev/null &&
  "$M2M" pki revoke --issuer "$d/root" --cert "$d/a_revoked.cert.pem" --crl-out "$d/root.crl.pem" >/dev/null &&
  self_signed a_self csea.sp.example.com && self_signed b_self cseb.sp.example.com &&
  psk_file psk_good "$KPSA_ID" "$KPSA_KEY" && psk_file psk_wrong "$KPSA_ID" "$OTHER_KEY" &&
  psk_file psk_unknown ffeeddccbbaa99887766554433221100@sp.example.com "$KPSA_KEY"
}

# self_signed NAME DNSNAME: a self-signed CSE-ID certificate, its own root of trust.
self_signed() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
    -subj "/CN=self-signed $2" -keyout "$T_DIR/$1.key.pem" -out "$T_DIR/$1.cert.pem" \
    -addext "subjectAltName=DNS:$2" -addext "keyUsage=critical,digitalSignature" \
    -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
}

# psk_file NAME IDENTITY KEYHEX: the PSK store format of docs/association.md, mode 0600.
psk_file() {
  (umask 077 && printf '{"version": 1, "keys": [{"id": "%s", "type": "Kpsa", "key": "%s"}]}\n' "$2" "$3" \
    >"$T_DIR/$1.json")
}

# cred NAME [chain]: --cert/--key (and --chain) options for a credential of assoc_pki.
cred() {
  echo "--cert $T_DIR/$1.cert.pem --key $T_DIR/$1.key.pem${2:+ --chain $T_DIR/$2.cert.pem}"
}

# start_listen OUT ARGS...: m2msec listen --once in the background on a fresh port; sets
# L_PID and L_PORT. stdin answers "pong". The listener ends after L_TIMEOUT s (15).
start_listen() {
  local out=$1 proto=tcp; shift
  [[ " $* " == *" --dtls "* ]] && proto=udp
  L_PORT=$(free_port "$proto")
  echo pong | timeout "${L_TIMEOUT:-15}" "$M2M" listen --host 127.0.0.1 --port "$L_PORT" --once "$@" \
    >"$T_DIR/$out.out" 2>"$T_DIR/$out.err" &
  L_PID=$!
  T_PIDS+=("$L_PID")
  wait_for_port "$L_PORT" "$proto"
}

# finish_listen: waits (bounded) for the listener; sets L_RC.
finish_listen() {
  local i
  for i in $(seq 100); do kill -0 "$L_PID" 2>/dev/null || break; sleep 0.05; done
  kill "$L_PID" 2>/dev/null
  wait "$L_PID" 2>/dev/null
  L_RC=$?
}

# run_connect OUT ARGS...: m2msec connect --once to the listener; sets C_RC.
run_connect() {
  local out=$1; shift
  echo ping | timeout 15 "$M2M" connect --host 127.0.0.1 --port "$L_PORT" --once "$@" \
    >"$T_DIR/$out.out" 2>"$T_DIR/$out.err"
  C_RC=$?
}
