#!/usr/bin/env bash
# Builds iiot as one self-extracting executable with Node's single executable applications
# (docs/install.md, "A single executable"). Experimental, not part of CI or of a release:
#   scripts/sea/build.sh [--out DIR]      -> DIR/iiot (default: sea-out/), for this OS and processor
# Needs the registry once for postject (npx). Node 22's --experimental-sea-config makes the blob;
# postject injects it into a copy of the node binary that runs this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/sea-out"
[ "${1:-}" = "--out" ] && out="$2"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
work="$(mktemp -d "${TMPDIR:-/tmp}/iiot-sea-XXXXXX")"
trap 'rm -rf "$work"' EXIT

tgz="$("$root/scripts/package.sh" --offline --out "$work")"
npm install -g --offline --cache "$work/cache" --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$tgz" >&2
tar --format=ustar -czf "$work/payload.tar.gz" -C "$work/prefix/lib/node_modules" iiot
echo "$(node -p "require('$root/package.json').version")-$(sha256sum "$work/payload.tar.gz" | cut -c1-12)" >"$work/id.txt"
cp "$root/scripts/sea/main.cjs" "$work/main.cjs"
cat >"$work/sea-config.json" <<JSON
{ "main": "$work/main.cjs", "output": "$work/iiot.blob", "disableExperimentalSEAWarning": true,
  "assets": { "payload.tar.gz": "$work/payload.tar.gz", "id": "$work/id.txt" } }
JSON
node --experimental-sea-config "$work/sea-config.json" >&2
cp "$(node -p 'process.execPath')" "$out/iiot"
chmod u+w "$out/iiot"
npx --yes postject@1.0.0-alpha.6 "$out/iiot" NODE_SEA_BLOB "$work/iiot.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >&2 2>/dev/null
echo "$out/iiot ($(du -h "$out/iiot" | cut -f1))"
