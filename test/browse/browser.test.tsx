import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionSource, type BrowserSource, type ChildRef } from '../../src/protocols/opcua/browser-source.js';
import type { OpcUaSession } from '../../src/protocols/opcua/session.js';
import { readTagList } from '../../src/protocols/opcua/tag-list.js';
import { OpcUaBrowser } from '../../src/browse/interactive/App.js';
import { BROWSER_KEYS } from '../../src/browse/interactive/keys.js';
import { runCli } from '../helpers/cli.js';
import { clientPki, connect, startOpcUaPlant, tempDir, waitFor, type TestPlant, removeTempDirs } from '../helpers/opcua-plant.js';

afterAll(removeTempDirs);

const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  end: '\u001B[F',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
};

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

  /** A browser app with helpers; without `height` it follows the (test) terminal's rows. */
  function open(props: { height?: number } = {}) {
    let exit: { id: string | undefined; how: string } | undefined;
    const written: string[] = [];
    const app = render(
      <OpcUaBrowser
        source={source}
        root={root}
        rootPath="/Objects"
        {...props}
        onExit={(id, how) => (exit = { id, how })}
        writeTerminal={(text) => written.push(text)}
      />,
    );
    const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
    const until = async (text: string | RegExp) => {
      const seen = () => (typeof text === 'string' ? frame().includes(text) : text.test(frame()));
      for (let i = 0; i < 1500 && !seen(); i++) await new Promise((r) => setTimeout(r, 20));
      if (!seen()) throw new Error(`the browser never showed ${String(text)}; it shows:\n${frame()}`);
    };
    const press = async (keys: string) => {
      app.stdin.write(keys);
      await new Promise((r) => setTimeout(r, 0));
    };
    return { app, frame, until, press, exited: () => exit, written };
  }

  it('Ctrl-C quits from the tree and from the search line, and copies nothing (c alone copies)', async () => {
    const b = open({ height: 20 });
    try {
      await b.until('◆ Server');
      await b.press('c');
      await b.until('copied i=85');
      expect(b.written).toHaveLength(1);
      await b.press('\u0003');
      await waitFor(() => b.exited() !== undefined);
      expect(b.exited()).toEqual({ id: 'i=85', how: 'interrupt' });
      expect(b.written).toHaveLength(1); // Ctrl-C did not copy
    } finally {
      b.app.unmount();
    }
    const s2 = open({ height: 20 });
    try {
      await s2.until('◆ Server');
      await s2.press('/');
      await s2.press('Pum');
      await s2.until('/Pum');
      await s2.press('\u0003');
      await waitFor(() => s2.exited() !== undefined);
      expect(s2.exited()?.how).toBe('interrupt');
    } finally {
      s2.app.unmount();
    }
  });

  it('search asks the server: every match, not only the nodes loaded so far', async () => {
    const b = open({ height: 40 });
    try {
      await b.until('◆ Plant');
      // Load one of the four VibrationVelocityRms variables (Pump1's) by opening Pump1.
      await b.press('/');
      await b.press('Pump1');
      await b.press(KEY.enter);
      await b.until(/1 match for "Pump1"/);
      await b.until(/Path\s+\/Objects\/\d+:Plant\/\d+:Pump1/);
      await b.press(KEY.right);
      await b.until('▾  ◆ Cooling water pump');
      // Four assets have one each (conveyor1, conveyor2, pump1, compressor1); only one is loaded.
      await b.press('/');
      await b.press('VibrationVelocityRms');
      await b.press(KEY.enter);
      await b.until('4 matches for "VibrationVelocityRms"');
    } finally {
      b.app.unmount();
    }
  });

  it('the tree follows terminal resizes', async () => {
    const b = open();
    const treeRows = () =>
      b
        .frame()
        .split('\n')
        .filter((l) => /^ *[▸▾…] /.test(l) || /^ {2,}[▸▾… ] [ *][◆●ƒ◇○T→▣] /.test(l)).length;
    const resize = (rows: number) => {
      Object.defineProperty(b.app.stdout, 'rows', { value: rows, configurable: true });
      b.app.stdout.emit('resize');
    };
    try {
      resize(10); // 10 - 5 lines of frame: 5 rows of tree
      await b.until('◆ Server');
      // down to Server (the order of Objects' children is the server's)
      for (let i = 0; i < 8 && !/NodeId\s+i=2253\b/.test(b.frame()); i++) {
        await b.press(KEY.down);
        await new Promise((r) => setTimeout(r, 100));
      }
      await b.until(/NodeId\s+i=2253\b/);
      await b.press(KEY.right); // Server has more children than 5 rows hold
      await waitFor(() => treeRows() === 5);
      resize(30);
      await waitFor(() => treeRows() > 5);
      expect(treeRows()).toBeLessThanOrEqual(25);
      resize(12);
      await waitFor(() => treeRows() === 7);
    } finally {
      b.app.unmount();
    }
  });

  it('saving over an existing tag list asks first: s and Enter again replace it', async () => {
    const b = open({ height: 30 });
    const file = join(tempDir('ui-tags-exist'), 'line3.tags');
    writeFileSync(file, 'precious\n');
    try {
      await b.until('◆ Plant');
      await b.press('/');
      await b.press('ActivePower');
      await b.press(KEY.enter);
      await b.until(/Status\s+Good/);
      await b.press(' ');
      await b.until('1 marked');
      const saveAs = async (name: string) => {
        await b.press('s');
        await b.until('save 1 marked tag(s) to:');
        await b.press(KEY.backspace.repeat(200));
        await b.press(name);
        await b.press(KEY.enter);
      };
      await saveAs(file);
      await b.until(`${file} already exists: s and Enter again replace it`);
      expect(readFileSync(file, 'utf8')).toBe('precious\n');
      // the prompt offers the same name; Enter replaces it
      await b.press('s');
      await b.until(`save 1 marked tag(s) to: ${file}`);
      await b.press(KEY.enter);
      await b.until(`saved 1 tag to ${file}`);
      expect(readTagList(file).tags).toHaveLength(1);
    } finally {
      b.app.unmount();
    }
  });

  it('iiot browse --help lists every key', async () => {
    const r = await runCli(['browse', '--help']);
    expect(r.stdout).toContain('Keys in --interactive:');
    for (const [keys] of BROWSER_KEYS) expect(r.stdout).toContain(`  ${keys}`);
    expect(r.stdout).toMatch(/Ctrl-C +quit at once, printing nothing \(exit 130\)/);
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
