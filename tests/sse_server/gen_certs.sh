#!/usr/bin/env bash
# gen_certs.sh DIR - test certificates for wt-sse-server --tls-cert/--tls-key,
# made with the openssl CLI only, non-interactively, valid for 1 day:
#   DIR/ca.pem, DIR/ca.key          a test CA (P-256)
#   DIR/server.pem, DIR/server.key  a server certificate signed by it, for
#                                   IP:127.0.0.1, IP:::1 and DNS:localhost
#   DIR/server-chain.pem            server.pem followed by ca.pem
#   DIR/other-ca.pem, other-ca.key  an unrelated CA, for "unknown CA" tests
# Keys are 0600. Existing files in DIR are overwritten.
set -euo pipefail

if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

# A self-signed CA certificate: NAME (file prefix) and CN.
make_ca() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
    openssl req -x509 -new -key "$1.key" -sha256 -days 1 -subj "/O=wtexport tests/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "$1.pem"
}

make_ca ca "wtexport test CA"
make_ca other-ca "unrelated test CA"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/O=wtexport tests/CN=localhost" -out server.csr
cat >server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 1 \
    -extfile server.ext -out server.pem 2>/dev/null
cat server.pem ca.pem >server-chain.pem
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem other-ca.pem server.pem server-chain.pem

# Self-check: the server certificate verifies against the CA, not the other one.
openssl verify -CAfile ca.pem server.pem >/dev/null
if openssl verify -CAfile other-ca.pem server.pem >/dev/null 2>&1; then
    echo "$0: server.pem unexpectedly verifies against other-ca.pem" >&2
    exit 1
fi
