#!/usr/bin/env bash
# The Debian packages the tests talk to (independent peers, never mocks): mosquitto (a second
# broker) and mosquitto-clients (mosquitto_sub/pub), mbpoll (an independent Modbus client), socat
# (virtual serial ports for Modbus RTU), chromium (renders the HTML reports), xmllint (validates
# NodeSet2 exports against the OPC Foundation schema); nmap is the baseline of the discovery benchmark. `npm test` (pretest) and .ci/run both run this script.
#   scripts/test-peers.sh          install what is missing when root with apt-get, else stop with one line
#   scripts/test-peers.sh --check  only check; one line naming the command to run when something is missing
# Fast when everything is there: six `command -v` look-ups.
set -uo pipefail

# command on PATH (or file) -> Debian package
peers=(
  "mosquitto mosquitto"
  "mosquitto_sub mosquitto-clients"
  "mosquitto_pub mosquitto-clients"
  "mbpoll mbpoll"
  "socat socat"
  "${CHROMIUM:-chromium} chromium"
  "nmap nmap"
  "xmllint libxml2-utils"
)
missing() {
  local need=() cmd pkg
  for entry in "${peers[@]}"; do
    cmd="${entry% *}"
    pkg="${entry##* }"
    command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || need+=("$pkg")
  done
  # each package once, in order
  printf '%s\n' "${need[@]}" | awk 'NF && !seen[$0]++' | tr '\n' ' ' | sed 's/ $//'
}

need="$(missing)"
[ -z "$need" ] && exit 0

install_cmd="apt-get install -y --no-install-recommends $need"
if [ "${1:-}" != "--check" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test peers: installing $need (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  log="${TMPDIR:-/tmp}/iiot-test-peers-apt.log"
  # The package lists may be missing or stale on a fresh machine: update once and retry.
  # shellcheck disable=SC2086
  if ! apt-get install -y --no-install-recommends $need >"$log" 2>&1; then
    apt-get update >>"$log" 2>&1
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $need >>"$log" 2>&1
  fi
  need="$(missing)"
  [ -z "$need" ] && exit 0
  echo "test peers: apt-get could not install $need (see $log); the tests need them" >&2
  exit 1
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo "
echo "The tests need Debian packages that are not installed: run \`${sudo}${install_cmd}\` (or set CHROMIUM to a chromium binary), then npm test again." >&2
exit 1
