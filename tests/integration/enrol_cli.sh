#!/usr/bin/env bash
# m2msec enrol: usage errors, bad inputs, unreachable or mismatching MEFs (openssl s_server),
# and the credential store left untouched by every failure. The full exchange with an MEF
# is covered by the daemon's end-to-end tests.
. "$(dirname "$0")/lib/common.sh"
D=$T_DIR

# A self-signed FQDN certificate for the MEF (P-256, ECDSA-SHA256, digitalSignature), used
# as its own trust anchor, and one for the device.
mkcert() { # NAME SAN
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes -days 30 \
    -subj "/CN=$1" -addext "subjectAltName=$2" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "basicConstraints=critical,CA:TRUE" -keyout "$D/$1.key" -out "$D/$1.pem" 2>/dev/null
}
mkcert mef "DNS:mef.example.com"
mkcert dev "DNS:cse1.sp.example.com"

# run CMD...: runs the CLI, keeping exit status, stdout and stderr.
run() { "$@" >"$D/out" 2>"$D/err"; RC=$?; }
ERR() { cat "$D/err"; }

CERT=(--cert "$D/dev.pem" --key "$D/dev.key" --mef-root "$D/mef.pem")
PORT=$(free_port)
BASE=(enrol --mef "https://127.0.0.1:$PORT" --mef-name mef.example.com --state "$D/state")

# ---- usage errors: exit 2, before anything else happens ----
while IFS='|' read -r name args; do
  # shellcheck disable=SC2086
  run "$M2M" enrol $args
  check_eq "usage: $name exits 2" "$RC" 2
done <<EOF
no flags|
missing --state|--mef https://127.0.0.1:1 --mef-name mef.example.com --kpm-id k --kpm-hex 00
missing --mef|--mef-name mef.example.com --state $D/s --kpm-id k --kpm-hex 00
no credential|--mef https://127.0.0.1:1 --mef-name mef.example.com --state $D/s
both credentials|--mef https://127.0.0.1:1 --mef-name m.example.com --state $D/s --kpm-id k --kpm-hex 00 --cert c --key k --mef-root r
cert without --mef-root|--mef https://127.0.0.1:1 --mef-name m.example.com --state $D/s --cert c --key k
kpm-id without key|--mef https://127.0.0.1:1 --mef-name m.example.com --state $D/s --kpm-id k
root credential with PSK|--mef https://127.0.0.1:1 --mef-name m.example.com --state $D/s --kpm-id k --kpm-hex 00 --root-credential
unknown option|--bogus
stray argument|--mef https://127.0.0.1:1 extra
bad timeout|--timeout 0
EOF
run "$M2M" enrol --help
check_eq "--help exits 0" "$RC" 0
check_match "--help names --state" "$(cat "$D/out")" "--state DIR"

# ---- bad inputs: exit 1 with one line, nothing sent ----
one_line_fail() { # NAME REGEX
  local n
  n=$(wc -l <"$D/err")
  if [ "$RC" -eq 1 ] && [ "$n" -eq 1 ]; then ok "$1 exits 1 with one line"; else fail "$1: rc=$RC, $n lines: $(ERR)"; fi
  check_match "$1 says why" "$(ERR)" "$2"
}
run "$M2M" "${BASE[@]}" --cert "$D/dev.pem" --key "$D/missing.key" --mef-root "$D/mef.pem"
one_line_fail "unreadable key" "missing.key"
echo garbage >"$D/garbage.key"
run "$M2M" "${BASE[@]}" --cert "$D/dev.pem" --key "$D/garbage.key" --mef-root "$D/mef.pem"
one_line_fail "malformed key" "key"
run "$M2M" "${BASE[@]}" --cert "$D/dev.pem" --key "$D/mef.key" --mef-root "$D/mef.pem"
one_line_fail "key not matching the certificate" "key|match"
run "$M2M" "${BASE[@]}" --kpm-id kpm-1 --kpm-hex zz
one_line_fail "Kpm not hex" "hex"
printf '00112233445566778899aabbccddeeff\n' >"$D/kpm"
chmod 0644 "$D/kpm"
run "$M2M" "${BASE[@]}" --kpm-id kpm-1 --kpm-file "$D/kpm"
one_line_fail "Kpm file readable by others" "mode"
touch "$D/plainfile"
run "$M2M" enrol --mef "https://127.0.0.1:$PORT" --mef-name mef.example.com \
  --state "$D/plainfile/state" "${CERT[@]}"
one_line_fail "state directory not creatable" "state directory"
run "$M2M" enrol --mef "https://127.0.0.1:$PORT" --mef-name mef.example.com \
  --state "$D/plainfile" "${CERT[@]}"
one_line_fail "state path not a directory" "not a directory"
run "$M2M" enrol --mef "http://127.0.0.1:$PORT" --mef-name mef.example.com --state "$D/state" "${CERT[@]}"
one_line_fail "plain http refused" "https"

# ---- unreachable MEF: exit 1, one line, a fresh state dir is 0700 and stays empty ----
chmod 0600 "$D/kpm"
run "$M2M" "${BASE[@]}" --kpm-id kpm-1 --kpm-file "$D/kpm"
one_line_fail "MEF unreachable" "127.0.0.1 port $PORT"
check_eq "state directory created 0700" "$(stat -c %a "$D/state")" 700
check_empty "no store written on failure" "$(ls -A "$D/state")"

# ---- a previous store is never touched by a failure, nor replaced when unreadable ----
printf '{"version": 1, "keys": []}\n' >"$D/state/credentials.json"
cp "$D/state/credentials.json" "$D/before"
run "$M2M" "${BASE[@]}" "${CERT[@]}"
check_eq "failed enrolment exits 1" "$RC" 1
check "previous store unchanged" cmp -s "$D/state/credentials.json" "$D/before"
echo '{not json' >"$D/state/credentials.json"
run "$M2M" "${BASE[@]}" "${CERT[@]}"
one_line_fail "corrupt store refused before enrolling" "credential store"
check_eq "corrupt store kept" "$(cat "$D/state/credentials.json")" '{not json'
rm "$D/state/credentials.json"

# ---- a TLS server that is not the configured MEF ----
openssl s_server -quiet -www -accept "127.0.0.1:$PORT" -cert "$D/mef.pem" -key "$D/mef.key" \
  -tls1_2 >/dev/null 2>&1 &
T_PIDS+=($!)
if wait_for_port "$PORT"; then
  run "$M2M" enrol --mef "https://127.0.0.1:$PORT" --mef-name other.example.com \
    --state "$D/state" "${CERT[@]}"
  one_line_fail "MEF certificate for another name" "identity.*other.example.com"
  run "$M2M" enrol --mef "https://127.0.0.1:$PORT" --mef-name mef.example.com \
    --state "$D/state" --cert "$D/dev.pem" --key "$D/dev.key" --mef-root "$D/dev.pem"
  one_line_fail "MEF certificate under another root" "trust|anchor|untrusted|chain"
  # The handshake succeeds, but a web server does not speak the enrolment exchange.
  run "$M2M" "${BASE[@]}" "${CERT[@]}" --timeout 1
  one_line_fail "server without the enrolment exchange" "MEF refused|timed out"
  check_empty "still no store" "$(ls -A "$D/state")"
else
  fail "openssl s_server did not start"
fi

t_done
