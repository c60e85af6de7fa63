// The script of iiot's single executable (Node SEA; docs/install.md): the installed package
// (dist/, fixtures, node_modules) rides along as one tar.gz asset. The first start unpacks it into
// ~/.cache/iiot/sea-<id>/ (under a temporary name, renamed when complete, so two first starts at
// once or an interrupted one never leave half a tree); every start then imports bin/iiot.js from
// there. Node 22's SEA runs one CommonJS script, and ink, node-opcua's nodesets and serialport's
// native binary cannot be bundled into one: hence unpacking rather than bundling.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { pathToFileURL } = require('node:url');
const sea = require('node:sea');

const id = sea.getAsset('id', 'utf8').trim();
const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const dir = path.join(cache, 'iiot', `sea-${id}`);

/** Unpacks a ustar archive (files, folders, symbolic links; the build writes nothing else). */
function untar(buf, into) {
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) return;
    const field = (at, len) => {
      const s = h.subarray(at, at + len);
      const end = s.indexOf(0);
      return s.subarray(0, end < 0 ? len : end).toString('utf8');
    };
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const mode = parseInt(field(100, 8).trim() || '644', 8) & 0o777;
    const type = String.fromCharCode(h[156] || 48);
    const target = path.join(into, name);
    if (!target.startsWith(into + path.sep)) throw new Error(`unsafe path in the payload: ${name}`);
    off += 512;
    if (type === '5') fs.mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '\0' || type === '7') {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, buf.subarray(off, off + size), { mode });
    } else if (type === '2') {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(field(157, 100), target);
    } else throw new Error(`unexpected entry type ${type} in the payload: ${name}`);
    off += Math.ceil(size / 512) * 512;
  }
}

if (!fs.existsSync(path.join(dir, '.complete'))) {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  process.stderr.write(`iiot: first start of this version: unpacking into ${dir}...\n`);
  untar(zlib.gunzipSync(Buffer.from(sea.getAsset('payload.tar.gz'))), tmp);
  fs.writeFileSync(path.join(tmp, '.complete'), `${id}\n`);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another first start won the race
  }
}
import(pathToFileURL(path.join(dir, 'iiot', 'bin', 'iiot.js')).href);
