#!/usr/bin/env bash
# Interoperability of the library's TLS 1.2 / DTLS 1.2 contexts with peers nobody here
# wrote: `openssl s_client` against the library's server and the library's client against
# `openssl s_server` must derive the same RFC 5705 export (EXPORTER-oneM2M-Bootstrap,
# 48 bytes, no context) on both ends, over TLS and DTLS, with certificates (mutual) and
# with a PSK; and the library must refuse what TS-0003 forbids.
set -u

BIN=${M2M_BIN:?M2M_BIN must name the directory of the built programs}
SERVER="$BIN/m2m_tls_server"
CLIENT="$BIN/m2m_tls_client"
LABEL=EXPORTER-oneM2M-Bootstrap
PSK_HEX=00112233445566778899aabbccddeeff
passed=0
failed=0
server_pid=
feeder_pid=

for prog in "$SERVER" "$CLIENT"; do
    if [ ! -x "$prog" ]; then
        echo "missing $prog (build tests/tools)" >&2
        exit 1
    fi
done
command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    [ -n "$feeder_pid" ] && kill "$feeder_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# ---- certificates: a root, a server (FQDN), a client (CSE-ID), a foreign root + client ----
ossl_ca() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
        -subj "/CN=$1" -keyout "$work/$1.key" -out "$work/$1.pem" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
ossl_leaf() { # name ca dnsname
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
        -keyout "$work/$1.key" -out "$work/$1.csr" 2>/dev/null &&
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:%s\n' \
        "$3" >"$work/$1.ext" &&
    openssl x509 -req -in "$work/$1.csr" -CA "$work/$2.pem" -CAkey "$work/$2.key" \
        -CAcreateserial -sha256 -days 30 -extfile "$work/$1.ext" -out "$work/$1.pem" 2>/dev/null
}
ossl_ca root && ossl_ca other_root &&
    ossl_leaf server root mef.example.com &&
    ossl_leaf client root cse1.sp.example.com &&
    ossl_leaf stranger other_root cse1.sp.example.com &&
    ossl_leaf impostor other_root mef.example.com || { echo "certificate setup failed" >&2; exit 1; }

# ---- running one exchange ----
start_server() { # args...
    : >"$work/srv.out"
    "$SERVER" --timeout-ms 5000 "$@" >"$work/srv.out" 2>"$work/srv.err" &
    server_pid=$!
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$work/srv.out")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "server did not start: $(cat "$work/srv.err")" >&2
    return 1
}

stop_feeder() {
    [ -n "$feeder_pid" ] && kill "$feeder_pid" 2>/dev/null && wait "$feeder_pid" 2>/dev/null
    feeder_pid=
}

wait_server() { # sets server_rc; kills the server after 10 s
    server_rc=124
    for _ in $(seq 100); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            wait "$server_pid"
            server_rc=$?
            server_pid=
            return
        fi
        sleep 0.1
    done
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
}

client() { # s_client args...
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername mef.example.com \
        -keymatexport "$LABEL" -keymatexportlen 48 "$@" </dev/null >"$work/cli.out" 2>&1
}

result() { # name ok(0/1) detail
    if [ "$2" -eq 0 ]; then
        echo "PASS $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1: $3"
        echo "--- server stdout"; cat "$work/srv.out"
        echo "--- server stderr"; cat "$work/srv.err"
        echo "--- client"; tail -n 30 "$work/cli.out"
        failed=$((failed + 1))
    fi
}

# Positive: the handshake works, both sides export the same 48 bytes, the cipher is the
# expected TS-0003 suite and the server saw the expected peer.
expect_match() { # name cipher peer-line server-args -- client-args
    local name=$1 cipher=$2 peer=$3
    shift 3
    local sargs=() cargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    start_server "${sargs[@]}" || { result "$name" 1 "no server"; return; }
    client "${cargs[@]}"
    wait_server
    local sk ck sc
    sk=$(sed -n 's/^export //p' "$work/srv.out" | tr 'A-F' 'a-f')
    ck=$(sed -n 's/.*Keying material: *//p' "$work/cli.out" | tr 'A-F' 'a-f' | tr -d ' \r')
    sc=$(sed -n 's/^cipher //p' "$work/srv.out")
    if [ "$server_rc" -ne 0 ]; then
        result "$name" 1 "server exit $server_rc"
    elif [ ${#sk} -ne 96 ] || [ "$sk" != "$ck" ]; then
        result "$name" 1 "exports differ: server '$sk' client '$ck'"
    elif [ "$sc" != "$cipher" ]; then
        result "$name" 1 "cipher '$sc', want '$cipher'"
    elif ! grep -qx "peer $peer" "$work/srv.out"; then
        result "$name" 1 "peer line, want 'peer $peer'"
    elif ! grep -qx "sni mef.example.com" "$work/srv.out"; then
        result "$name" 1 "server did not see the SNI name"
    else
        result "$name" 0 ""
    fi
}

# Negative: the server refuses, with a reason matching a pattern, and exports nothing.
expect_refusal() { # name pattern server-args -- client-args
    local name=$1 pattern=$2
    shift 2
    local sargs=() cargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    start_server "${sargs[@]}" || { result "$name" 1 "no server"; return; }
    client "${cargs[@]}"
    wait_server
    if [ "$server_rc" -eq 0 ] || grep -q '^export' "$work/srv.out"; then
        result "$name" 1 "server accepted (exit $server_rc)"
    elif ! grep -qi -- "$pattern" "$work/srv.err"; then
        result "$name" 1 "server reason does not match '$pattern'"
    else
        result "$name" 0 ""
    fi
}

CERT_SRV=(--cert "$work/server.pem" --key "$work/server.key" --ca "$work/root.pem" --flavour cse-id)
CERT_CLI=(-cert "$work/client.pem" -key "$work/client.key" -CAfile "$work/root.pem" -verify_return_error)
PSK_SRV=(--psk-identity kpm-001 --psk-hex "$PSK_HEX")
PSK_CLI=(-psk "$PSK_HEX" -psk_identity kpm-001)

expect_match "TLS 1.2 mutual certificates" ECDHE-ECDSA-AES128-GCM-SHA256 \
    "cse-id cse1.sp.example.com" "${CERT_SRV[@]}" -- -tls1_2 "${CERT_CLI[@]}"
expect_match "TLS 1.2 ECDHE-ECDSA-AES128-SHA256 (TS-0003)" ECDHE-ECDSA-AES128-SHA256 \
    "cse-id cse1.sp.example.com" "${CERT_SRV[@]}" -- -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 \
    "${CERT_CLI[@]}"
expect_match "TLS 1.2 PSK-AES128-CBC-SHA256 (TS-0003)" PSK-AES128-CBC-SHA256 "psk kpm-001" \
    "${PSK_SRV[@]}" -- -tls1_2 -cipher PSK-AES128-CBC-SHA256 "${PSK_CLI[@]}"
expect_match "TLS 1.2 PSK, server's choice" PSK-AES128-GCM-SHA256 "psk kpm-001" \
    "${PSK_SRV[@]}" -- -tls1_2 "${PSK_CLI[@]}"
expect_match "DTLS 1.2 ECDHE-ECDSA-AES128-CCM8 (TS-0003)" ECDHE-ECDSA-AES128-CCM8 \
    "cse-id cse1.sp.example.com" --dtls "${CERT_SRV[@]}" -- -dtls1_2 \
    -cipher ECDHE-ECDSA-AES128-CCM8 "${CERT_CLI[@]}"
expect_match "DTLS 1.2 PSK-AES128-CCM8 (TS-0003)" PSK-AES128-CCM8 "psk kpm-001" \
    --dtls "${PSK_SRV[@]}" -- -dtls1_2 -cipher PSK-AES128-CCM8 "${PSK_CLI[@]}"

expect_refusal "wrong PSK" "bad record mac" "${PSK_SRV[@]}" -- -tls1_2 \
    -psk ffeeddccbbaa99887766554433221100 -psk_identity kpm-001
expect_refusal "unknown PSK identity" "unknown PSK identity" "${PSK_SRV[@]}" -- -tls1_2 \
    -psk "$PSK_HEX" -psk_identity kpm-999
expect_refusal "TLS 1.1 client" "unsupported protocol" "${PSK_SRV[@]}" -- -tls1_1 \
    -cipher 'PSK-AES128-CBC-SHA256:@SECLEVEL=0' "${PSK_CLI[@]}"
expect_refusal "client certificate from a foreign CA" "trust anchor" "${CERT_SRV[@]}" -- \
    -tls1_2 -cert "$work/stranger.pem" -key "$work/stranger.key" -CAfile "$work/root.pem"
expect_refusal "client without a certificate" "did not return a certificate" "${CERT_SRV[@]}" -- -tls1_2 \
    -CAfile "$work/root.pem"
expect_refusal "wrong client identity" "expected identity" "${CERT_SRV[@]}" \
    --peer cse2.sp.example.com -- -tls1_2 "${CERT_CLI[@]}"

# ---- the library's client against openssl s_server ----
start_sserver() { # s_server args...
    : >"$work/srv.out"
    : >"$work/srv.err"
    # s_server stops at EOF on stdin: feed it from a FIFO that a bounded writer holds open.
    rm -f "$work/stdin"
    mkfifo "$work/stdin"
    sleep 10 >"$work/stdin" &
    feeder_pid=$!
    timeout 10 openssl s_server -accept 127.0.0.1:0 -naccept 1 -keymatexport "$LABEL" \
        -keymatexportlen 48 "$@" <"$work/stdin" >"$work/srv.out" 2>&1 &
    server_pid=$!
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$work/srv.out")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "s_server did not start" >&2
    return 1
}

lib_client() { # m2m_tls_client args...
    timeout 10 "$CLIENT" --port "$port" --timeout-ms 5000 "$@" >"$work/cli.out" 2>"$work/cli.err"
    client_rc=$?
}

client_result() { # name ok detail
    if [ "$2" -eq 0 ]; then
        result "$1" 0 ""
    else
        cat "$work/cli.err" >>"$work/cli.out"
        result "$1" 1 "$3"
    fi
}

expect_client_match() { # name cipher peer-line s_server-args -- client-args
    local name=$1 cipher=$2 peer=$3
    shift 3
    local sargs=() cargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    start_sserver "${sargs[@]}" || { result "$name" 1 "no s_server"; return; }
    lib_client "${cargs[@]}"
    wait_server
    stop_feeder
    local sk ck cc
    ck=$(sed -n 's/^export //p' "$work/cli.out" | tr 'A-F' 'a-f')
    sk=$(sed -n 's/.*Keying material: *//p' "$work/srv.out" | tr 'A-F' 'a-f' | tr -d ' \r')
    cc=$(sed -n 's/^cipher //p' "$work/cli.out")
    if [ "$client_rc" -ne 0 ]; then
        client_result "$name" 1 "client exit $client_rc"
    elif [ ${#ck} -ne 96 ] || [ "$sk" != "$ck" ]; then
        client_result "$name" 1 "exports differ: client '$ck' server '$sk'"
    elif [ "$cc" != "$cipher" ]; then
        client_result "$name" 1 "cipher '$cc', want '$cipher'"
    elif ! grep -qx "peer $peer" "$work/cli.out"; then
        client_result "$name" 1 "peer line, want 'peer $peer'"
    else
        client_result "$name" 0 ""
    fi
}

expect_client_refusal() { # name pattern s_server-args -- client-args
    local name=$1 pattern=$2
    shift 2
    local sargs=() cargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    start_sserver "${sargs[@]}" || { result "$name" 1 "no s_server"; return; }
    lib_client "${cargs[@]}"
    wait_server
    stop_feeder
    if [ "$client_rc" -eq 0 ] || grep -q '^export' "$work/cli.out"; then
        client_result "$name" 1 "client accepted"
    elif ! grep -qi -- "$pattern" "$work/cli.err"; then
        client_result "$name" 1 "client reason does not match '$pattern'"
    else
        client_result "$name" 0 ""
    fi
}

SS_CERT=(-cert "$work/server.pem" -key "$work/server.key" -CAfile "$work/root.pem" -Verify 1
    -verify_return_error)
SS_PSK=(-nocert -psk "$PSK_HEX" -psk_identity kpm-001)
LC_CERT=(--cert "$work/client.pem" --key "$work/client.key" --ca "$work/root.pem")
LC_PSK=(--psk-identity kpm-001 --psk-hex "$PSK_HEX")

expect_client_match "client: TLS 1.2 mutual certificates" ECDHE-ECDSA-AES128-GCM-SHA256 \
    "fqdn mef.example.com" -tls1_2 "${SS_CERT[@]}" -- "${LC_CERT[@]}"
expect_client_match "client: TLS 1.2 ECDHE-ECDSA-AES128-SHA256" ECDHE-ECDSA-AES128-SHA256 \
    "fqdn mef.example.com" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 "${SS_CERT[@]}" -- \
    "${LC_CERT[@]}" --flavour fqdn --peer mef.example.com
expect_client_match "client: TLS 1.2 PSK-AES128-CBC-SHA256" PSK-AES128-CBC-SHA256 \
    "psk kpm-001" -tls1_2 -cipher PSK-AES128-CBC-SHA256 "${SS_PSK[@]}" -- "${LC_PSK[@]}"
expect_client_match "client: DTLS 1.2 ECDHE-ECDSA-AES128-CCM8" ECDHE-ECDSA-AES128-CCM8 \
    "fqdn mef.example.com" -dtls1_2 -cipher ECDHE-ECDSA-AES128-CCM8 "${SS_CERT[@]}" -- \
    --dtls "${LC_CERT[@]}"
expect_client_match "client: DTLS 1.2 PSK-AES128-CCM8" PSK-AES128-CCM8 "psk kpm-001" \
    -dtls1_2 -cipher PSK-AES128-CCM8 "${SS_PSK[@]}" -- --dtls "${LC_PSK[@]}"

expect_client_refusal "client: server certificate from a foreign CA" "trust anchor" -tls1_2 \
    -cert "$work/impostor.pem" -key "$work/impostor.key" -- "${LC_CERT[@]}"
expect_client_refusal "client: wrong server name" "expected identity" -tls1_2 "${SS_CERT[@]}" \
    -- "${LC_CERT[@]}" --flavour fqdn --peer maf.example.com
expect_client_refusal "client: SNI name not in the certificate" "expected identity" -tls1_2 \
    "${SS_CERT[@]}" -- "${LC_CERT[@]}" --sni maf.example.com
expect_client_refusal "client: TLS 1.3 only server" "protocol version" -tls1_3 \
    "${SS_CERT[@]}" -- "${LC_CERT[@]}"
expect_client_refusal "client: wrong PSK" "handshake" -tls1_2 -nocert \
    -psk ffeeddccbbaa99887766554433221100 -psk_identity kpm-001 -- "${LC_PSK[@]}"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
