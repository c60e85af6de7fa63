import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { runProcess } from '../helpers/process.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

// scripts/test-peers.sh is what `npm test` runs first (pretest) and what .ci/run runs: it installs
// the Debian peers the tests talk to when it can, and otherwise stops with one line.
const SCRIPT = join(ROOT, 'scripts', 'test-peers.sh');
afterAll(removeTempDirs);

/** A PATH holding only the tools the script itself uses (plus any extra commands), none of the peers. */
function barePath(extra: Record<string, string> = {}): string {
  const dir = tempDir('peers-path');
  for (const tool of ['bash', 'id', 'awk', 'tr', 'sed', 'printf']) {
    symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  }
  for (const [name, body] of Object.entries(extra)) {
    writeFileSync(join(dir, name), `#!/usr/bin/bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('scripts/test-peers.sh', () => {
  it('is what npm test runs first, and what CI runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('bash scripts/test-peers.sh');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('scripts/test-peers.sh');
  });

  it('says nothing and exits 0 when every peer is installed (this machine)', async () => {
    const r = await runProcess('bash', [SCRIPT, '--check']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('stops at once with one line naming the command to run when peers are missing', async () => {
    const r = await runProcess('/usr/bin/bash', [SCRIPT, '--check'], { env: { PATH: barePath(), CHROMIUM: '/nonexistent/chromium' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /run `(sudo )?apt-get install -y --no-install-recommends mosquitto mosquitto-clients mbpoll socat chromium nmap libxml2-utils`/,
    );
  });

  it('as root with apt-get, installs exactly the missing packages and checks again', async () => {
    // apt-get here is a stand-in that records its arguments and puts the asked-for commands on PATH;
    // the real apt-get is what .ci/run and a fresh root machine use.
    const bin = tempDir('peers-installed');
    const calls = join(bin, 'calls');
    const path = barePath({
      'apt-get': [
        `echo "$*" >> ${calls}`,
        '[ "$1" = install ] || exit 0',
        `for p in "$@"; do case "$p" in mosquitto) n=mosquitto;; mosquitto-clients) n="mosquitto_sub mosquitto_pub";; libxml2-utils) n=xmllint;; -*|install) n=;; *) n=$p;; esac; for c in $n; do printf '#!/usr/bin/bash\\n' > ${bin}/$c; chmod +x ${bin}/$c; done; done`,
      ].join('\n'),
      id: '[ "$1" = -u ] && echo 0 || /usr/bin/id "$@"',
      chmod: '/usr/bin/chmod "$@"',
    });
    const r = await runProcess('/usr/bin/bash', [SCRIPT], { env: { PATH: `${path}:${bin}`, TMPDIR: bin } });
    expect(r.stderr).toBe('test peers: installing mosquitto mosquitto-clients mbpoll socat chromium nmap libxml2-utils (apt-get)\n');
    expect(r.code).toBe(0);
    expect(readFileSync(calls, 'utf8')).toBe(
      'install -y --no-install-recommends mosquitto mosquitto-clients mbpoll socat chromium nmap libxml2-utils\n',
    );
  });
});
