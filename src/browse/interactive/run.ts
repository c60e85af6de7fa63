/**
 * `iiot browse <endpoint> --interactive`: one session, the ink app, and the node id under the
 * cursor printed on exit (so `id=$(iiot browse ... -i)` works).
 */
import { createElement } from 'react';
import { ExitCode } from '../../core/exit-codes.js';
import { out, type IO } from '../../core/io.js';
import { IiotError } from '../../core/errors.js';
import { resolveNode } from '../../protocols/opcua/browse-path.js';
import { rootPath, sessionSource } from '../../protocols/opcua/browser-source.js';
import type { BrowseCommandOptions } from '../options.js';
import { pkiFor, sessionIO } from '../../protocols/opcua/session-io.js';
import { openSession } from '../../protocols/opcua/session.js';
import { OpcUaBrowser } from './App.js';

export async function runInteractiveBrowser(io: IO, o: BrowseCommandOptions): Promise<number> {
  const s = await openSession({ connect: o.connect, pki: pkiFor(io), io: sessionIO(io), keepAlive: true });
  try {
    let rootId: string;
    try {
      rootId = (await resolveNode(s.session, o.node ?? 'i=85')).nodeId;
    } catch (err) {
      throw err instanceof IiotError ? err : s.explain(err, 'browse');
    }
    const source = await sessionSource(s, rootId);
    const root = await source.root();
    const path = await rootPath(s, rootId);
    const { render } = await import('ink');
    let chosen: string | undefined;
    let interrupted = false;
    // With stdout captured (id=$(iiot browse ... -i)) the browser draws on stderr. Its height
    // follows the terminal's (resizes included).
    const screen = process.stdout.isTTY ? process.stdout : process.stderr;
    const app = render(
      createElement(OpcUaBrowser, {
        source,
        root,
        rootPath: path,
        onExit: (id, how) => {
          chosen = id;
          interrupted = how === 'interrupt';
        },
        writeTerminal: (text) => screen.write(text),
      }),
      // CI=true would make ink non-interactive even in a terminal (ink asks the is-in-ci package unless told), so say it.
      { stdout: screen, interactive: Boolean(screen.isTTY), alternateScreen: true, exitOnCtrlC: false, patchConsole: false },
    );
    const lost = new Promise<string>((resolve) => s.onLost(resolve));
    const ended = await Promise.race([app.waitUntilExit().then(() => undefined), lost]);
    if (typeof ended === 'string') {
      app.unmount();
      throw new IiotError(ExitCode.Unreachable, ended, { hint: 'run the command again when the server is back' });
    }
    await source.close();
    if (interrupted) return ExitCode.Interrupted;
    if (chosen !== undefined) out(io, chosen);
    return ExitCode.Ok;
  } finally {
    await s.close();
  }
}
