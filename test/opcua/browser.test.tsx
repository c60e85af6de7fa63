import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionSource, type BrowserSource, type ChildRef } from '../../src/protocols/opcua/browser-source.js';
import type { OpcUaSession } from '../../src/protocols/opcua/session.js';
import { readTagList } from '../../src/protocols/opcua/tag-list.js';
import { OpcUaBrowser } from '../../src/ui/opcua-browser/App.js';
import { clientPki, connect, startOpcUaPlant, tempDir, waitFor, type TestPlant, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const KEY = { up: '\u001B[A', down: '\u001B[B', right: '\u001B[C', left: '\u001B[D', end: '\u001B[F', enter: '\r', escape: '\u001B', backspace: '\u007F' };

describe('the interactive browser (ink), driven by keystrokes against the plant', () => {
  let t: TestPlant;
  let s: OpcUaSession;
  let source: BrowserSource;
  let root: ChildRef;
  beforeAll(async () => {
    t = await startOpcUaPlant({});
    s = await connect(t.url, clientPki(), { securityMode: 'None' });
    source = await sessionSource(s, 'i=85');
    root = await source.root();
  });
  afterAll(async () => {
    await source?.close();
    await s?.close();
    await t?.stop();
  });

  it('expands lazily, shows attributes and the live value, searches, marks, saves a tag list and prints the node id on exit', async () => {
    let exitedWith: string | undefined = 'not yet';
    const app = render(<OpcUaBrowser source={source} root={root} rootPath="/Objects" height={40} onExit={(id) => (exitedWith = id)} />);
    const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
    const press = async (keys: string) => {
      app.stdin.write(keys);
      await new Promise((r) => setTimeout(r, 0));
    };
    // Waits for the frame to show `text`; if it never does, the failure shows the frame.
    const until = async (text: string | RegExp) => {
      const seen = () => (typeof text === 'string' ? frame().includes(text) : text.test(frame()));
      for (let i = 0; i < 1500 && !seen(); i++) await new Promise((r) => setTimeout(r, 20));
      if (!seen()) throw new Error(`the browser never showed ${String(text)}; it shows:\n${frame()}`);
    };
    const ns = t.plant.opcua!.namespaceIndex;
    const power = t.plant.opcua!.nodeId('plant.power');
    try {
      // The root opens by itself; its children are listed, nothing below them yet.
      await until('▸  ◆ Plant');
      expect(frame()).toContain('▾  ◆ Objects');
      expect(frame()).not.toContain('Main incomer');
      expect(frame()).toMatch(/NodeId\s+i=85/);

      // Down to Plant (the last child of Objects), then open it with →.
      await press(KEY.end);
      await until(new RegExp(`NodeId\\s+ns=${ns};s=Plant`));
      await press(KEY.right);
      await until('Main incomer');
      expect(frame()).toContain('▾  ◆ Plant');
      // ← closes it again, → reopens (from the loaded children, no request needed).
      await press(KEY.left);
      await waitFor(() => !frame().includes('Main incomer'));
      await press(KEY.right);
      await until('Main incomer');

      // Search by name: the incomer's ActivePower is below a node not opened yet (a server-side search).
      await press('/');
      await press('ActivePower');
      await until('/ActivePower');
      await press(KEY.enter);
      await until(new RegExp(`NodeId\\s+${power.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(frame()).toMatch(/Path\s+\/Objects\/\d+:Plant\/\d+:Incomer\/\d+:\w+/);
      await until(/Unit\s+kW/);
      await until(/Status\s+Good/);
      await until(/Live\s+subscribed/);

      // Mark it, save the marks as a tag list.
      await press(' ');
      await until('marked');
      const file = join(tempDir('ui-tags'), 'line3.tags');
      await press('s');
      await until('save 1 marked tag(s) to: iiot.tags');
      await press(KEY.backspace.repeat('iiot.tags'.length));
      await press(file);
      await press(KEY.enter);
      await until(`saved 1 tag to ${file}`);
      const list = readTagList(file);
      expect(list.tags.map((x) => x.nodeId)).toEqual([power]);
      expect(list.tags[0]!.unit).toBe('kW');

      // q quits and hands back the node under the cursor.
      await press('q');
      await waitFor(() => exitedWith !== 'not yet');
      expect(exitedWith).toBe(power);
    } finally {
      app.unmount();
    }
  });

  it('refuses to mark what is not a variable, and says so', async () => {
    const app = render(<OpcUaBrowser source={source} root={root} rootPath="/Objects" height={20} onExit={() => undefined} />);
    const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
    try {
      await waitFor(() => frame().includes('◆ Server'));
      app.stdin.write(' ');
      await waitFor(() => frame().includes('only variables can be marked'));
      app.stdin.write('s');
      await waitFor(() => frame().includes('save 0 marked'));
      app.stdin.write(KEY.enter);
      await waitFor(() => frame().includes('nothing marked'));
    } finally {
      app.unmount();
    }
  });
});
