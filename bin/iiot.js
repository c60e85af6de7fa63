#!/usr/bin/env node
// Entry point: check the Node.js version with syntax every Node understands, then load the
// bundled program. Everything else lives in src/ (built into dist/ by `npm run build`).
var parts = process.versions.node.split('.').map(Number);
if (parts[0] < 22 || (parts[0] === 22 && parts[1] < 13)) {
  process.stderr.write(
    'iiot: error: Node.js 22.13 or newer is required (this is ' + process.version + '). ' +
      'Install Node 22 or 24 LTS, or run it through npm (npx iiot), which uses the project-local Node 22.\n'
  );
  process.exit(2);
}
// The compile cache (V8's code for the bundled modules, kept between runs) spares compiling them at
// every start. It lives in the user's own cache directory, never a shared one such as Node's
// default under /tmp: whoever can write the cache chooses the code that runs. NODE_COMPILE_CACHE
// (Node enables it before this runs) or NODE_DISABLE_COMPILE_CACHE=1 override it.
function compileCacheDir() {
  var path = process.getBuiltinModule('node:path');
  var env = process.env;
  var base;
  if (process.platform === 'win32') base = env.LOCALAPPDATA;
  else if (process.platform === 'darwin') base = path.join(process.getBuiltinModule('node:os').homedir(), 'Library', 'Caches');
  else if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME;
  else base = path.join(process.getBuiltinModule('node:os').homedir(), '.cache');
  return base && path.isAbsolute(base) ? path.join(base, 'iiot', 'compile-cache') : undefined;
}
import('node:module')
  .then(function (m) {
    if (!process.env.NODE_COMPILE_CACHE && !process.env.NODE_DISABLE_COMPILE_CACHE) {
      try {
        var dir = compileCacheDir();
        if (dir) m.enableCompileCache(dir); // reports failure (a read-only home) instead of throwing
      } catch (_) {
        // no home directory: run without the cache
      }
    }
    return import('../dist/cli.js');
  })
  .then(function (cli) { return cli.main(process.argv); })
  .catch(function (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).indexOf('dist/cli.js') >= 0) {
      process.stderr.write('iiot: error: the program is not built. Run `npm run build` (npm ci does it for you).\n');
      process.exit(4);
    }
    process.stderr.write('iiot: internal error: ' + (err && err.message ? err.message : String(err)) + '\n');
    process.exit(4);
  });
