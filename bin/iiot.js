#!/usr/bin/env node
// Entry point: check the Node.js version with syntax every Node understands, then load the
// bundled program. Everything else lives in src/ (built into dist/ by `npm run build`).
var parts = process.versions.node.split('.').map(Number);
if (parts[0] < 22 || (parts[0] === 22 && parts[1] < 13)) {
  process.stderr.write(
    'iiot: error: Node.js 22.13 or newer is required (this is ' + process.version + '). ' +
      'Install Node.js 22 or 24 LTS (docs/install.md; in a checkout of the source, `npx iiot` uses the project-local Node 22).\n'
  );
  process.exit(2);
}
import('../dist/cli.js')
  .then(function (cli) { return cli.main(process.argv); })
  .catch(function (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).indexOf('dist/cli.js') >= 0) {
      // Only a checkout of the source can be unbuilt: an installed package carries dist/.
      process.stderr.write('iiot: error: the program is not built. Run `npm run build` in the checkout (npm ci does it for you).\n');
      process.exit(4);
    }
    process.stderr.write('iiot: internal error: ' + (err && err.message ? err.message : String(err)) + '\n');
    process.exit(4);
  });
