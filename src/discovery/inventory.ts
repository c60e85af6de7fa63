/**
 * The inventory: what `iiot discover --json` prints (schema "iiot.discover/1", docs/inventory.md),
 * and what `iiot check`, `iiot browse` and `iiot record` read with --inventory. The zod schema is
 * the one definition of the shape; the TypeScript types are inferred from it. Reading ignores
 * fields it does not know (a later version may add some), it never refuses them.
 *
 *   const inv = readInventory('inventory.json');
 *   for (const { device, line } of inv.devices) console.log(line, device.url);
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { IiotError, usageError } from '../core/errors.js';
import { parseTarget } from '../core/targets.js';
import { noAnswerSchema } from '../protocols/inventory.js';
import { DISCOVERABLE } from '../protocols/registry.js';
import { modbusDeviceSchema, modbusRtuDeviceSchema, serialScanSchema } from '../protocols/modbus/inventory.js';
import { mqttDeviceSchema } from '../protocols/mqtt/inventory.js';
import { mdnsSchema, opcuaDeviceSchema } from '../protocols/opcua/inventory.js';

import { INVENTORY_SCHEMA } from './schema-name.js';

export { INVENTORY_SCHEMA };
// Each protocol's device schema lives in its folder (src/protocols/<name>/inventory.ts).
export { NO_ANSWER_RESULTS, noAnswerSchema, type NoAnswer } from '../protocols/inventory.js';
export { modbusDeviceSchema, modbusRtuDeviceSchema, type ModbusDevice, type ModbusRtuDevice } from '../protocols/modbus/inventory.js';
export { mqttDeviceSchema, type MqttDevice } from '../protocols/mqtt/inventory.js';
export { opcuaDeviceSchema, type OpcUaDevice } from '../protocols/opcua/inventory.js';

const str = z.string();
const int = z.number().int();

export const deviceSchema = z.discriminatedUnion('protocol', [
  opcuaDeviceSchema,
  modbusDeviceSchema,
  modbusRtuDeviceSchema,
  mqttDeviceSchema,
]);

export const openPortSchema = z.object({
  host: str,
  port: int,
  /** what it turned out to speak; absent when nothing we know */
  protocol: z.enum(DISCOVERABLE.map((p) => p.name) as [string, ...string[]]).optional(),
  tls: z.boolean().optional(),
  connectMs: z.number(),
});

export const inventorySchema = z.object({
  schema: z.literal(INVENTORY_SCHEMA),
  tool: str,
  startedAt: str,
  finishedAt: str,
  durationMs: z.number(),
  /** every planned probe got an answer or a timeout: a device missing from `devices` did not answer */
  complete: z.boolean(),
  /** why not complete (interrupted, a serial port could not be opened...) */
  incomplete: z.array(str).optional(),
  scope: z.object({
    targets: z.array(str),
    protocols: z.array(str),
    ports: z.array(z.object({ port: int, protocol: str.optional() })),
    hosts: int,
    serial: z.array(str),
    probe: z.boolean(),
    rate: z.number(),
    concurrency: int,
    timeoutMs: z.number(),
    unitIds: str.optional(),
    unitTimeoutMs: z.number().optional(),
    bauds: z.array(int).optional(),
    parities: z.array(str).optional(),
    listenMs: z.number(),
    rebirth: z.boolean(),
    mdns: z.boolean(),
    onNetwork: z.boolean(),
  }),
  summary: z.object({
    devices: int,
    byProtocol: z.record(str, int),
    sparkplugNodes: int,
    sparkplugDevices: int,
    hostsScanned: int,
    hostsAnswering: int,
    connections: int,
    noAnswer: int,
  }),
  devices: z.array(deviceSchema),
  openPorts: z.array(openPortSchema),
  noAnswer: z.array(noAnswerSchema),
  /** one entry per serial port and setting swept: how long it took and with which timing */
  serialScans: z.array(serialScanSchema).optional(),
  mdns: mdnsSchema.optional(),
});

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryDevice = z.infer<typeof deviceSchema>;
export type OpenPort = z.infer<typeof openPortSchema>;

export interface InventoryEntry {
  device: InventoryDevice;
  /** 0-based position in `devices` */
  index: number;
  /** 1-based line of the device's "url" in the file (for messages and SARIF locations) */
  line: number;
}

export interface ReadInventoryResult {
  file: string;
  inventory: Inventory;
  /** false: the scan was interrupted or partial; devices may be missing */
  complete: boolean;
  devices: InventoryEntry[];
}

const HINT = 'an inventory is what `iiot discover <targets> --json > inventory.json` writes (docs/inventory.md)';

/** Line (1-based) of a character offset. */
function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Offsets of the `"url"` key of each element of the top-level "devices" array, found by walking the
 * JSON text (strings and nesting tracked), so line numbers are exact whatever the formatting.
 */
export function deviceUrlOffsets(text: string): number[] {
  // one slot per device object: where its "url" key is, or its "{" when it has none
  const slots: Array<{ brace: number; url?: number }> = [];
  const stack: Array<{ kind: 'o' | 'a'; key?: string; devices?: boolean }> = [];
  let lastString: { value: string; start: number } | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      let value = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          value += text[i + 1] ?? '';
          i += 2;
        } else value += text[i++];
      }
      i++;
      lastString = { value, start };
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === ':') {
      if (top?.kind === 'o' && lastString) {
        top.key = lastString.value;
        const slot = slots[slots.length - 1];
        if (lastString.value === 'url' && stack.length === 3 && stack[1]!.devices && slot && slot.url === undefined)
          slot.url = lastString.start;
      }
    } else if (c === '{' || c === '[') {
      const devices = c === '[' && stack.length === 1 && top?.kind === 'o' && top.key === 'devices';
      stack.push({ kind: c === '{' ? 'o' : 'a', devices });
      if (c === '{' && stack.length === 3 && stack[1]!.devices) slots.push({ brace: i });
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
    i++;
  }
  return slots.map((s) => s.url ?? s.brace);
}

/** The line of a JSON.parse error: from its position, or from the text V8 quotes around the token. */
function jsonErrorLine(raw: string, msg: string): number | undefined {
  const pos = /position (\d+)/.exec(msg)?.[1];
  if (pos !== undefined) return lineAt(raw, Number(pos));
  if (/end of JSON input/i.test(msg)) return lineAt(raw, raw.trimEnd().length);
  // V8: Unexpected token ',', ..."evices": [,]..." is not valid JSON
  const snippet = /, (?:\.\.\.)?"(.*)"(?:\.\.\.)? is not valid JSON/s.exec(msg)?.[1];
  if (snippet === undefined) return undefined;
  const at = snippet === '' ? -1 : raw.indexOf(snippet);
  return at < 0 ? undefined : lineAt(raw, at + Math.floor(snippet.length / 2));
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}${acc ? '.' : ''}${String(p)}`), '');
}

/**
 * Reads and validates an inventory. Every problem is one usage error (exit 2) naming the file,
 * the line and the field. `text` may be given instead of reading the file (tests).
 */
export function readInventory(file: string, text?: string): ReadInventoryResult {
  let raw: string;
  try {
    raw = text ?? readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(
      `inventory ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message.split('\n')[0]}`,
      HINT,
    );
  }
  if (raw.trim() === '') throw usageError(`${file}: the file is empty`, HINT);
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    const msg = (err as Error).message;
    const line = jsonErrorLine(raw, msg);
    throw usageError(
      `${file}${line === undefined ? '' : `:${line}`}: not valid JSON (${msg.replace(/\s*\(line \d+ column \d+\)/, '').split('\n')[0]})`,
      HINT,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw usageError(`${file}: not an inventory (the document is not a JSON object)`, HINT);
  const schema = (doc as { schema?: unknown }).schema;
  if (schema !== INVENTORY_SCHEMA) {
    const said = typeof schema === 'string' ? `schema "${schema}"` : 'no "schema" field';
    const hint =
      typeof schema === 'string' && schema.startsWith('iiot.discover/')
        ? `this iiot reads ${INVENTORY_SCHEMA}; upgrade iiot or run discover again`
        : HINT;
    throw usageError(`${file}: not an iiot discover inventory (${said})`, hint);
  }
  const offsets = deviceUrlOffsets(raw);
  const lineOf = (index: number) => (offsets[index] === undefined ? 1 : lineAt(raw, offsets[index]));
  const parsed = inventorySchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path;
    const line = path[0] === 'devices' && typeof path[1] === 'number' ? `:${lineOf(path[1])}` : '';
    throw usageError(`${file}${line}: ${pathText(path) || 'the document'}: ${issue.message}`, HINT);
  }
  const inventory = parsed.data;
  const devices: InventoryEntry[] = inventory.devices.map((device, index) => {
    const line = lineOf(index);
    let canonical: string;
    try {
      canonical = parseTarget(device.url).url;
    } catch (err) {
      throw usageError(
        `${file}:${line}: devices[${index}].url: ${err instanceof IiotError ? err.message : String(err)}`,
        'fix or remove that entry; device URLs: docs/targets.md',
      );
    }
    return { device: canonical === device.url ? device : { ...device, url: canonical }, index, line };
  });
  return { file, inventory, complete: inventory.complete, devices };
}
