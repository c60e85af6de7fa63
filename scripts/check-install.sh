#!/usr/bin/env bash
# Proves that iiot installs as a tool (docs/install.md), as a new user would install it: packs the
# checkout (scripts/package.sh), installs the tarball with `npm install -g` into a temporary prefix,
# and from another, empty folder runs `iiot --version`, `iiot sim --generate --days 1 -o x.jsonl.gz`
# and `iiot capture info x.jsonl.gz`. With --offline it does the same with the tarball that carries
# its dependencies, installed with --offline and an empty npm cache, so nothing can come from a registry.
#   scripts/check-install.sh [--offline]
# Needs Node 22.13+ on PATH (in CI: the project-local one in node_modules/.bin). Exit 0 when all
# steps pass; otherwise the failing step is named on the last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
offline=()
label=registry
if [ "${1:-}" = "--offline" ]; then offline=(--offline); label=offline; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/iiot-install-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install ($label): FAILED: $*"; exit 1; }

tgz="$("$root/scripts/package.sh" "${offline[@]}" --out "$tmp/pack")" || fail "packing"
size=$(stat -c %s "$tgz")
echo "tarball: $(basename "$tgz"), $((size / 1024)) KiB"

# What an installed copy must not carry: a build step, the checkout's devDependencies or overrides.
tar xzOf "$tgz" package/package.json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const p = JSON.parse(s);
    const bad = ["scripts", "devDependencies", "overrides"].filter((k) => k in p);
    if (bad.length) { console.error("the packed package.json has " + bad.join(", ")); process.exit(1); }
  });' || fail "packed package.json"

install_args=(install -g --prefix "$tmp/prefix" --no-audit --no-fund --loglevel=error)
if [ ${#offline[@]} -gt 0 ]; then
  # An empty cache and --offline: any package not inside the tarball would fail the install.
  install_args+=(--offline --cache "$tmp/empty-cache")
fi
start=$(date +%s)
npm "${install_args[@]}" "$tgz" 2>&1 | grep -v 'EBADENGINE' || true
[ -x "$tmp/prefix/bin/iiot" ] || fail "npm install -g did not install bin/iiot"
echo "installed in $(( $(date +%s) - start )) s: $(du -sh "$tmp/prefix/lib/node_modules/iiot" | cut -f1) on disk"

mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere"
export PATH="$tmp/prefix/bin:$PATH"
[ "$(command -v iiot)" = "$tmp/prefix/bin/iiot" ] || fail "iiot on PATH is $(command -v iiot), not the installed one"
want="$(node -p "require('$root/package.json').version")"
got="$(iiot --version)" || fail "iiot --version"
[ "$got" = "$want" ] || fail "iiot --version printed '$got', expected '$want'"
iiot sim --generate --days 1 -o x.jsonl.gz --quiet || fail "iiot sim --generate --days 1 -o x.jsonl.gz"
iiot capture info x.jsonl.gz >info.txt || fail "iiot capture info x.jsonl.gz"
grep -q 'samples' info.txt || fail "iiot capture info printed no summary"
head -3 info.txt
echo "check-install ($label): ok"
