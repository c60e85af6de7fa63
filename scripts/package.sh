#!/usr/bin/env bash
# Packs iiot for installing as a tool (docs/install.md):
#   scripts/package.sh [--offline] [--out DIR]
# writes DIR/iiot-<version>.tgz (dependencies come from the registry at install), or with --offline
# DIR/iiot-<version>-offline.tgz, which carries every run-time dependency (bundleDependencies) and
# installs with no registry: npm install -g --offline ./iiot-<version>-offline.tgz
#
# Why a staging folder rather than a plain `npm pack` of the checkout: the checkout's package.json
# has the scripts that build from src/ (`prepare` builds dist/ on `npm ci` in a clone) and the
# devDependencies that build needs. An installed copy must carry neither: it is built already.
# So the files that `files` selects are copied to a folder with a package.json without scripts,
# devDependencies or allowScripts, and that folder is packed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
offline=0
out="$PWD"
while [ $# -gt 0 ]; do
  case "$1" in
    --offline) offline=1 ;;
    --out) out="$2"; shift ;;
    *) echo "package.sh: unknown option $1 (usage: scripts/package.sh [--offline] [--out DIR])" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"

npm run -s build >&2

stage_parent="$(mktemp -d "${TMPDIR:-/tmp}/iiot-package-XXXXXX")"
trap 'rm -rf "$stage_parent"' EXIT
stage="$stage_parent/iiot"
mkdir -p "$stage"

# The files `files` in package.json selects, as npm itself lists them (README, LICENSE included).
npm pack --dry-run --json --ignore-scripts 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const f of JSON.parse(s)[0].files)console.log(f.path)})' |
  while IFS= read -r f; do
    mkdir -p "$stage/$(dirname "$f")"
    cp -p "$f" "$stage/$f"
  done

# package.json for an installed copy. keepDev: the lockfile's root lists the devDependencies, and
# `npm ci` refuses a package.json that differs from it, so they stay until the bundle is installed.
shape() {
  node -e '
    const fs = require("fs");
    const [file, keepDev, bundle] = process.argv.slice(1);
    const p = JSON.parse(fs.readFileSync(file, "utf8"));
    delete p.scripts;
    delete p.allowScripts;
    if (keepDev !== "1") delete p.devDependencies;
    if (bundle === "1") p.bundleDependencies = Object.keys(p.dependencies ?? {});
    fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
  ' "$stage/package.json" "$1" "$2"
}

if [ "$offline" = 1 ]; then
  shape 1 0
  cp package-lock.json "$stage/"
  # The run-time dependencies exactly as the lockfile has them. --ignore-scripts: nothing needs
  # building here (serialport ships prebuilt binaries); the installing npm runs the scripts of the
  # bundled packages itself.
  (cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  rm "$stage/package-lock.json"
  shape 0 1
else
  shape 0 0
fi

name="$(cd "$stage" && npm pack --json --pack-destination "$stage_parent" 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')"
target="$name"
[ "$offline" = 1 ] && target="${name%.tgz}-offline.tgz"
mv "$stage_parent/$name" "$out/$target"
echo "$out/$target"
