import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlantPath } from '../../src/sim/plant-file.js';
import { builtinMapDir, builtinMapNames } from '../../src/protocols/modbus/register-map.js';
import { plcMapPath } from '../../src/sim/modbus-units.js';
import { packageRoot } from '../../src/core/version.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

// What `npm pack` puts into the tarball, as npm itself lists it (the `files` field of package.json).
// scripts/check-install.sh (run by .ci/run) installs that tarball for real; this test checks what is in it.
let packed: Set<string>;
beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
});
afterAll(removeTempDirs);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & {
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
};

describe('the npm package', () => {
  it('carries the built program and what it reads at run time', () => {
    const rel = (p: string) => relative(ROOT, p).split('\\').join('/');
    expect(packed).toContain('bin/iiot.js');
    expect(packed).toContain('dist/cli.js');
    expect(packed).toContain('dist/help.json');
    for (const chunk of readdirSync(join(ROOT, 'dist', 'chunks')).filter((f) => f.endsWith('.js'))) {
      expect(packed).toContain(`dist/chunks/${chunk}`);
    }
    expect(packed).toContain(rel(defaultPlantPath()));
    expect(packed).toContain(rel(plcMapPath()));
    expect(builtinMapNames().length).toBeGreaterThan(1);
    for (const name of builtinMapNames()) expect(packed).toContain(rel(join(builtinMapDir(), `${name}.yaml`)));
    expect(packed).toContain('docs/capture-format.md');
  });

  it('carries no tests, benchmarks, data sets, sources or source maps', () => {
    const leaked = [...packed].filter(
      // (the library API's type declarations, dist/types/**/*.d.ts, are meant for scripts that import iiot)
      (f) =>
        /^(test|bench|datasets|scripts|commands|\.ci)\//.test(f) ||
        (/\.(ts|tsx|map)$/.test(f) && !/^dist\/types\/.*\.d\.ts$/.test(f)) ||
        (f.startsWith('src/') && !f.endsWith('.yaml')),
    );
    expect(leaked).toEqual([]);
    expect(existsSync(join(ROOT, 'datasets'))).toBe(true); // they exist in the repository, only not in the package
  });

  it('resolves every dependency without overrides (overrides apply only to this checkout, never to an installed copy)', () => {
    expect(pkg).not.toHaveProperty('overrides');
    // arquero ^8 asks for @uwdata/flechette ^2; 2.7.0 needs a package the registry does not have.
    // The direct pin is what npm's resolution of arquero's range takes in an installed copy.
    expect(pkg.dependencies['@uwdata/flechette']).toBe('2.6.0');
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean; dependencies?: Record<string, string> }>;
    };
    expect(lock.packages['node_modules/@uwdata/flechette']?.version).toBe('2.6.0');
    expect(lock.packages['node_modules/arquero/node_modules/@uwdata/flechette']).toBeUndefined();
    // Every run-time package's own dependencies are in the lockfile (the 404 package is not needed).
    const names = new Set(Object.keys(lock.packages).map((p) => p.replace(/^.*node_modules\//, '')));
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev) continue;
      for (const dep of Object.keys(entry.dependencies ?? {})) if (!names.has(dep)) missing.push(`${path} -> ${dep}`);
    }
    expect(missing).toEqual([]);
  });

  it('builds in a clone (npm ci runs prepare) but ships no build step (scripts/package.sh strips it)', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    const packageScript = readFileSync(join(ROOT, 'scripts', 'package.sh'), 'utf8');
    expect(packageScript).toMatch(/delete p\.scripts/);
    expect(packageScript).toMatch(/delete p\.devDependencies/);
  });

  it('finds its run-time files from the package, not from the working directory', async () => {
    expect(packageRoot()).toBe(ROOT.replace(/\/$/, ''));
    const elsewhere = tempDir('elsewhere');
    const r = await runCli(['sim', '--generate', '--days', '1', '--quiet', '-o', 'x.jsonl.gz'], { cwd: elsewhere });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const info = await runCli(['capture', 'info', 'x.jsonl.gz', '--json'], { cwd: elsewhere });
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(defaultPlantPath());
  });
});

describe('examples in --help and in the docs', () => {
  // A path an example names: fixtures/..., src/..., ../shared/... (a URL or a file the user makes is not one).
  const repoPath = /(?<![\w:/.-])(\.\.\/[\w./-]+|(?:fixtures|datasets|src|bench|test)\/[\w./-]+\.\w+)/g;

  it('name only files that ship with the package', () => {
    const help = JSON.parse(readFileSync(join(ROOT, 'dist', 'help.json'), 'utf8')) as Record<string, string>;
    const bad: string[] = [];
    for (const [command, text] of Object.entries(help)) {
      for (const m of text.matchAll(repoPath)) if (!packed.has(m[1]!)) bad.push(`iiot ${command} --help: ${m[1]}`);
    }
    // Docs examples: command lines in fenced blocks and inline `iiot ...` code.
    for (const file of ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const lines = [...text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
      lines.push(...[...text.matchAll(/`(iiot [^`]+)`/g)].map((m) => m[1]!));
      for (const line of lines.filter((l) => /^\s*(\$ )?iiot /.test(l))) {
        // the README is also the repository's front page: its fleet examples train on the evaluation
        // data sets of a checkout (datasets/, said there), which an installed copy does not carry
        for (const m of line.matchAll(repoPath))
          if (!packed.has(m[1]!) && !(file === 'README.md' && m[1]!.startsWith('datasets/'))) bad.push(`${file}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
