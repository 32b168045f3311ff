#!/bin/sh
# TLS files for tests, made in the current folder: ca.pem (a CA), server.pem and
# server.key (for 127.0.0.1 and localhost), client.pem and client.key, all signed by
# the CA (P-256 keys, valid for a day). Run by tests/cli/tls_files.h and the Python
# package's tests.
set -e
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
new_key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 1 -subj "/CN=qbake test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
sign() {  # NAME SUBJECT EXTENSIONS
  new_key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile "$1.ext" -out "$1.pem"
}
sign server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
sign client "/CN=qbake test client" "extendedKeyUsage=clientAuth"
