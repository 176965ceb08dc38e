#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The contract scan (issue 12, criterion 5): validates docs/openapi.yaml with openapi-spec-validator, starts a real
# `efgs serve` on loopback with two onboarded countries (DE, FR) and a first download batch, checks that the admin
# listener serves the same document, and runs schemathesis from docs/openapi.yaml against the gateway as DE (mode a
# identity headers; loopback is a trusted proxy by default). Fails on any 5xx, any status, content type, header or
# body the document does not allow.
#
#   tools/contract-scan.sh [path/to/efgs]          (default .build/debug/efgs)
#
# Environment: EFGS_SCAN_VENV (the venv with tools/contract-scan/requirements.txt; made when missing, default
# .build/contract-scan-venv), EFGS_SCAN_EXAMPLES (schemathesis --max-examples per operation, default 100),
# EFGS_SCAN_SEED (schemathesis --seed, default random), EFGS_SCAN_DATABASE_URL (default a SQLite file in the work
# folder; a postgres://… database is emptied first), EFGS_SCAN_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
efgs=$(realpath "${1:-.build/debug/efgs}")
venv=${EFGS_SCAN_VENV:-$repo/.build/contract-scan-venv}
examples=${EFGS_SCAN_EXAMPLES:-100}
[ -x "$efgs" ] || { echo "contract-scan: $efgs is not an executable (swift build first)" >&2; exit 1; }

if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s tools/contract-scan/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/contract-scan/requirements.txt
  cp tools/contract-scan/requirements.txt "$venv/requirements.txt"
fi
"$venv/bin/openapi-spec-validator" --schema 3.1 docs/openapi.yaml

work=$(mktemp -d /tmp/efgs-contract-scan.XXXXXX)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [ "${EFGS_SCAN_KEEP:-0}" = "1" ]; then echo "contract-scan: work folder $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"

# A federation as an operator makes one (README: Your first gateway): trust anchor, DE and FR onboarded.
"$efgs" trust-anchor create --out-dir . --key p256 >/dev/null
for c in DE FR; do
  for use in auth sign; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/C=$c/O=$c National Backend/CN=$c-$use" -keyout "$c-$use.key" -out "$c-$use.pem" 2>/dev/null
  done
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/O=EFGS Operator/CN=efgs-callback-client" -keyout callback.key -out callback.pem 2>/dev/null
# DE's callback server, so that a subscription to https://localhost/… can succeed (callback.allowLoopback)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -addext subjectAltName=DNS:localhost \
  -subj "/C=DE/O=DE National Backend/CN=localhost" -keyout DE-callback.key -out DE-callback.pem 2>/dev/null
cat > efgs.yaml <<YAML
server: {host: 127.0.0.1, port: 0}
admin: {port: 0}
trustAnchor: {certificatePath: ta.pem}
database: {url: "${EFGS_SCAN_DATABASE_URL:-sqlite:efgs.sqlite}"}
storage: {keys: ["k1:$(openssl rand -base64 32)"], activeKeyId: k1}
callback: {clientCertificatePath: callback.pem, clientKeyPath: callback.key, allowLoopback: true}
YAML
case "${EFGS_SCAN_DATABASE_URL:-}" in
  postgres*) psql -q "$EFGS_SCAN_DATABASE_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' ;;
esac
for c in DE FR; do
  "$efgs" cert import --config efgs.yaml --type AUTHENTICATION --country $c --pem $c-auth.pem \
    --signature "$("$efgs" cert sign --ta-key ta.key --pem $c-auth.pem 2>/dev/null)" >/dev/null
  "$efgs" cert import --config efgs.yaml --type SIGNING --country $c --pem $c-sign.pem \
    --signature "$("$efgs" cert sign --ta-key ta.key --pem $c-sign.pem 2>/dev/null)" >/dev/null
done
"$efgs" cert import --config efgs.yaml --type CALLBACK --country DE --host localhost --pem DE-callback.pem \
  --signature "$("$efgs" cert sign --ta-key ta.key --pem DE-callback.pem 2>/dev/null)" >/dev/null

"$efgs" serve --config efgs.yaml > serve.log 2>&1 &
serve_pid=$!
event_port() { sed -n "s/.*message=\"$1\".*port=\"\([0-9]*\)\".*/\1/p" serve.log | head -n 1; }
for _ in $(seq 1 300); do
  [ -n "$(event_port 'Gateway listening')" ] && [ -n "$(event_port 'Admin listening')" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat serve.log >&2; echo "contract-scan: efgs serve exited" >&2; exit 1; }
  sleep 0.2
done
port=$(event_port 'Gateway listening')
admin=$(event_port 'Admin listening')
[ -n "$port" ] && [ -n "$admin" ] || { cat serve.log >&2; echo "contract-scan: no listening ports" >&2; exit 1; }
base="http://127.0.0.1:$port"

# The served document is docs/openapi.yaml, byte for byte.
curl -sf "http://127.0.0.1:$admin/openapi.yaml" -o served.yaml
cmp served.yaml "$repo/docs/openapi.yaml"

# Data to find: one FR upload batched into today's first download batch (DE downloads FR's keys).
"$efgs" client sample-batch --origin FR --count 5 --out fr.json >/dev/null
"$efgs" client upload --gateway "$base" --identity headers --cert FR-auth.pem --signing-cert FR-sign.pem \
  --signing-key FR-sign.key --batch fr.json --batch-tag fr-1 >/dev/null
"$efgs" batch --config efgs.yaml >/dev/null

# Values schemathesis mixes into what it generates, so that requests also reach the success paths: today's date
# and batch tags, a callback URL that passes the URL rules.
day() { date -u -d "$1" +%Y-%m-%d; }
tag() { date -u -d "$1" +%Y%m%d; }
cat > schemathesis.toml <<TOML
[dictionaries.dates]
values = ["$(day today)", "$(day yesterday)", "$(day tomorrow)", "$(day '3 days ago')"]
[dictionaries.tags]
values = ["$(tag today)-1", "$(tag today)-2", "$(tag yesterday)-1", "null"]
[dictionaries.callbackIds]
values = ["de-1", "de.2", "x"]
[dictionaries.urls]
values = ["https://localhost/efgs/callback", "https://localhost:8443/cb", "https://127.0.0.1/cb", "http://localhost/cb"]
[parameters]
"path.date" = { dictionary = "dates", probability = 0.5 }
"path.batchTag" = { dictionary = "tags", probability = 0.5 }
"header.batchTag" = { dictionary = "tags", probability = 0.3 }
"path.callbackId" = { dictionary = "callbackIds", probability = 0.5 }
"query.url" = { dictionary = "urls", probability = 0.5 }
TOML

# DE, as a trusted proxy on loopback presents it (mode a).
thumbprint=$(openssl x509 -in DE-auth.pem -outform DER | sha256sum | cut -d' ' -f1)
seed=()
[ -n "${EFGS_SCAN_SEED:-}" ] && seed=(--seed "$EFGS_SCAN_SEED")
status=0
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$repo/tools/contract-scan" \
  "$venv/bin/schemathesis" --config-file schemathesis.toml run "$repo/docs/openapi.yaml" \
  --url "$base" \
  -H "X-SSL-Client-SHA256: $thumbprint" -H "X-SSL-Client-DN: C=DE,O=DE National Backend,CN=DE-auth" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$examples" "${seed[@]}" --workers 1 --request-timeout 20 \
  --report junit --report-dir "$work/report" || status=$?

if grep -E 'level="ERROR"' serve.log | grep -v 'class="Authentication"\|class="SignatureVerifier"\|class="UploadController"\|class="ContentNegotiation"\|class="CallbackService"\|class="AuditController"' >&2; then
  echo "contract-scan: the gateway logged the unexpected errors above" >&2
  status=1
fi
exit "$status"
