#!/usr/bin/env bash
# A self-signed certificate and key for trying Ferry's TLS on a LAN:
#   tools/make_cert.sh [DIR]   (default: ./certs)
# Clients that do not have it as a CA file pin its fingerprint on first use.
set -euo pipefail
dir=${1:-certs}
mkdir -p "$dir"
host=$(hostname 2>/dev/null || echo localhost)
openssl req -x509 -newkey rsa:2048 -sha256 -days 825 -nodes \
    -keyout "$dir/ferry-key.pem" -out "$dir/ferry-cert.pem" \
    -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1,IP:::1" 2>/dev/null
chmod 600 "$dir/ferry-key.pem"
echo "wrote $dir/ferry-cert.pem and $dir/ferry-key.pem"
echo "serve:   python3 run_server.py --tls-cert $dir/ferry-cert.pem --tls-key $dir/ferry-key.pem"
