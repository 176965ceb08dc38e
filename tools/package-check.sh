#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Installs the Debian package made by tools/release.sh on this machine and runs it as an operator would, then
# upgrades, removes and purges it (CI runs it; it needs root, and it changes /usr/bin, /etc/efgs, /var/lib/efgs and
# the `efgs` user — run it on a disposable machine).
#
#   tools/package-check.sh dist/efgs_VERSION-1_ARCH.deb dist/efgs_VERSION-2_ARCH.deb
#
# The second package (the same version, the next Debian revision) is the upgrade. Checks, in order:
#   1. dpkg -i; `efgs --version` names the version and this checkout's commit; the unit passes
#      `systemd-analyze verify`; the efgs user, /var/lib/efgs (efgs, 0750) and /etc/efgs/secrets.env (0600) exist
#   2. the installed binary as the efgs user, on the installed /etc/efgs/efgs.yaml (test certificates and a storage
#      key generated here): `efgs config check`, `efgs serve`, /readyz reporting the version, DE onboarded, an upload
#      from DE, batching, a download by FR with the keys in it
#   3. the upgrade: a local change to the conffile survives, the gateway starts again on the same data, the batch is
#      still there
#   4. dpkg -r: binary gone, configuration and data kept; dpkg -P: configuration and data gone
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "package-check: needs root (it installs a package)" >&2; exit 1; }
deb1=$(readlink -f "$1")
deb2=$(readlink -f "$2")
commit=$(git rev-parse HEAD)
work=$(mktemp -d /tmp/efgs-package-check.XXXXXX)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }
step() { echo "package-check: $*"; }
as_efgs() { setpriv --reuid=efgs --regid=efgs --init-groups env -C /var/lib/efgs "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# a machine that had the package before: start from nothing
dpkg -P efgs >/dev/null 2>&1 || true

# 1. install
step "installing $(basename "$deb1")"
dpkg -i "$deb1"
version=$(dpkg-deb -f "$deb1" Version)
shown=$(/usr/bin/efgs --version)
echo "  efgs --version: $shown"
[[ "$shown" == *"${version%-*}"* ]] || fail "efgs --version does not name ${version%-*}"
[[ "$shown" == *"$commit"* ]] || fail "efgs --version does not name this checkout's commit $commit"
if ldd /usr/bin/efgs | grep -E 'libswift|libFoundation|/opt/swift'; then fail "the installed binary needs the toolchain"; fi
systemd-analyze verify /lib/systemd/system/efgs.service || fail "systemd-analyze verify efgs.service"
step "systemd-analyze verify: passed"
getent passwd efgs >/dev/null || fail "no efgs user"
[ "$(stat -c '%U %a' /var/lib/efgs)" = "efgs 750" ] || fail "/var/lib/efgs is $(stat -c '%U %a' /var/lib/efgs)"
[ "$(stat -c '%U %a' /etc/efgs/secrets.env)" = "root 600" ] || fail "/etc/efgs/secrets.env is not root 0600"
dpkg-query -W -f='${Conffiles}\n' efgs | grep -q /etc/efgs/efgs.yaml || fail "efgs.yaml is not a conffile"

# 2. configure as the operator would, and run it
step "configuring with test certificates and a storage key"
efgs trust-anchor create --out-dir "$work" --key p256 >/dev/null
install -m 0644 "$work/ta.pem" /etc/efgs/ta.pem
for name in de-auth de-sign fr-auth; do
  c=$(echo "$name" | cut -c1-2 | tr a-z A-Z)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/C=$c/O=$c National Backend/CN=$name" -keyout "$work/$name.key" -out "$work/$name.pem" 2>/dev/null
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/O=EFGS Operator/CN=efgs-callback-client" -keyout /etc/efgs/callback-client.key \
  -out /etc/efgs/callback-client.pem 2>/dev/null
chgrp efgs /etc/efgs/callback-client.key && chmod 0640 /etc/efgs/callback-client.key
cat >> /etc/efgs/secrets.env <<EOF
STORAGE_KEYS=k1:$(openssl rand -base64 32)
STORAGE_ACTIVE_KEY_ID=k1
EOF
port=$(free_port)
admin=$(free_port)
# the service's environment: secrets.env, and the ports this machine has free (SERVER_PORT overrides server.port)
run_env=(env $(grep -v '^#' /etc/efgs/secrets.env | xargs) SERVER_PORT="$port" ADMIN_PORT="$admin")
chmod 0755 "$work"
chmod 0644 "$work"/*.pem
as_efgs "${run_env[@]}" /usr/bin/efgs config check --config /etc/efgs/efgs.yaml || fail "efgs config check"
for row in "AUTHENTICATION DE de-auth" "SIGNING DE de-sign" "AUTHENTICATION FR fr-auth"; do
  set -- $row
  as_efgs "${run_env[@]}" /usr/bin/efgs cert import --config /etc/efgs/efgs.yaml --type "$1" --country "$2" \
    --pem "$work/$3.pem" --signature "$(efgs cert sign --ta-key "$work/ta.key" --pem "$work/$3.pem" 2>/dev/null)" \
    >/dev/null || fail "cert import $row"
done
start_gateway() {
  # not through as_efgs: a function in the background is a subshell, and $! must be the gateway itself (setpriv
  # and env exec it)
  setpriv --reuid=efgs --regid=efgs --init-groups env -C /var/lib/efgs "${run_env[@]:1}" \
    /usr/bin/efgs serve --config /etc/efgs/efgs.yaml > "$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 100); do
    grep -q 'Gateway listening' "$work/serve.log" && return 0
    kill -0 "$serve_pid" 2>/dev/null || fail "efgs serve exited: $(tail -5 "$work/serve.log")"
    sleep 0.2
  done
  fail "efgs serve did not listen within 20 s"
}
stop_gateway() {
  kill "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=""
  ! pgrep -u efgs -x efgs >/dev/null || fail "an efgs process of the efgs user outlived SIGTERM"
}

step "running the installed gateway as the efgs user"
start_gateway
ready=$(curl -sS "http://127.0.0.1:$admin/readyz")
echo "  /readyz: $ready"
[[ "$ready" == *'"status":"ready"'*'"version":"'"${version%-*}"'"'* ]] || fail "/readyz does not report ready and the version"
server=$(curl -sS -o /dev/null -D - "http://127.0.0.1:$port/diagnosiskeys/download/$(date -u +%F)" | tr -d '\r' \
  | sed -n 's/^[Ss]erver: //p')
[ "$server" = "efgs-swift/${version%-*}" ] || fail "Server header '$server'"
efgs client sample-batch --origin DE --count 7 --out "$work/keys.json" >/dev/null
efgs client upload --gateway "http://127.0.0.1:$port" --identity headers --cert "$work/de-auth.pem" \
  --signing-cert "$work/de-sign.pem" --signing-key "$work/de-sign.key" --batch "$work/keys.json" \
  --batch-tag package-1 || fail "upload"
as_efgs "${run_env[@]}" /usr/bin/efgs batch --config /etc/efgs/efgs.yaml >/dev/null || fail "efgs batch"
download() {
  rm -rf "$work/down" && mkdir "$work/down"
  efgs client download --gateway "http://127.0.0.1:$port" --identity headers --cert "$work/fr-auth.pem" \
    --date "$(date -u +%F)" --follow --format json --out "$work/down" >/dev/null || fail "download"
  keys=$(python3 -c 'import json,glob,sys; print(sum(len(json.load(open(f))["keys"]) for f in glob.glob(sys.argv[1]+"/*.json")))' "$work/down")
  [ "$keys" = 7 ] || fail "FR downloaded $keys keys, not the 7 DE uploaded"
}
download
step "upload by DE, batching, download by FR: 7 keys"
stop_gateway

# 3. upgrade
echo "# a local change that an upgrade keeps" >> /etc/efgs/efgs.yaml
step "upgrading to $(basename "$deb2")"
dpkg -i "$deb2"
[ "$(dpkg-query -W -f='${Version}' efgs)" = "$(dpkg-deb -f "$deb2" Version)" ] || fail "not upgraded"
grep -q "a local change that an upgrade keeps" /etc/efgs/efgs.yaml || fail "the upgrade replaced the changed conffile"
grep -q '^STORAGE_KEYS=' /etc/efgs/secrets.env || fail "the upgrade replaced secrets.env"
start_gateway
download
step "after the upgrade: the local configuration kept, the gateway serves the same batch"
stop_gateway

# 4. remove, purge
step "removing"
dpkg -r efgs
[ ! -e /usr/bin/efgs ] || fail "/usr/bin/efgs is still there after dpkg -r"
[ -s /var/lib/efgs/efgs.sqlite ] || fail "dpkg -r deleted the data"
[ -f /etc/efgs/efgs.yaml ] || fail "dpkg -r deleted the configuration"
step "dpkg -r: binary gone, /var/lib/efgs/efgs.sqlite and /etc/efgs/efgs.yaml kept"
dpkg -P efgs
[ ! -e /var/lib/efgs ] || fail "dpkg -P kept /var/lib/efgs"
[ ! -e /etc/efgs/efgs.yaml ] || fail "dpkg -P kept /etc/efgs/efgs.yaml"
rm -f /etc/efgs/ta.pem /etc/efgs/callback-client.pem /etc/efgs/callback-client.key
rmdir /etc/efgs 2>/dev/null || true
step "dpkg -P: configuration and data gone"
echo "package-check: passed"
