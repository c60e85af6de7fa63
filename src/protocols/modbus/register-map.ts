import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import { packageRoot } from '../../core/version.js';
import { parseYaml, readYamlSource, yamlFieldError, type YamlSource } from '../../yaml/load.js';
import { BYTE_ORDERS, REGISTER_TYPES, typeWidth, type ByteOrder, type RegisterLayout, type RegisterType } from './codec.js';

/**
 * Register maps (docs/register-maps.md): what a Modbus device holds where, as YAML data. The
 * simulator serves them, the recorder reads with them; built-in maps live in ./maps/ and are
 * selected by name (`--map sdm630`), any other map by path.
 */

export type RegisterTable = 'coil' | 'discrete' | 'input' | 'holding';
export const REGISTER_TABLES: readonly RegisterTable[] = ['coil', 'discrete', 'input', 'holding'];

export interface RegisterEntry extends RegisterLayout {
  /** unique within the map; the tag name suffix when recording */
  name: string;
  table: RegisterTable;
  /** 0-based address on the wire (what the request carries) */
  address: number;
  unit?: string;
  description?: string;
  /** a client may write it (holding registers and coils only) */
  writable: boolean;
}

/** FC43/14 device identification objects (0 vendor, 1 product code, 2 revision, 3 URL, 4 product name, 5 model name). */
export interface DeviceIdentification {
  vendor: string;
  productCode: string;
  revision: string;
  url?: string;
  productName?: string;
  modelName?: string;
}

export interface RegisterMap {
  name: string;
  description?: string;
  identification?: DeviceIdentification;
  entries: RegisterEntry[];
}

/** Table and 0-based address of a register number as manuals print it (see parseRegisterNumber). */
interface Located {
  table?: RegisterTable;
  address: number;
}

const MODICON_PREFIX: Record<string, RegisterTable> = { '0': 'coil', '1': 'discrete', '3': 'input', '4': 'holding' };

/**
 * A register number as manuals print it, to a table and a 0-based wire address:
 *   30001 / 40001 (five digits) and 300001 / 400001 (six digits): Modicon notation, the first
 *     digit names the table (0 coil, 1 discrete input, 3 input register, 4 holding register)
 *   "3x0343", "4x0001": the same, with an x
 *   any other number: 1-based register number within the entry's table (address = number − 1)
 * Returns a message string when the number cannot be read.
 */
export function parseRegisterNumber(value: number | string): Located | string {
  const text = String(value).trim();
  const x = /^([0134])x(\d{1,5})$/i.exec(text);
  if (x) {
    const n = Number(x[2]);
    if (n < 1 || n > 65536) return `register ${text}: the number after the x must be 1-65536`;
    return { table: MODICON_PREFIX[x[1]!]!, address: n - 1 };
  }
  if (!/^\d+$/.test(text)) return `register "${text}" is not a number (write 343, 30343 or 3x0343)`;
  const n = Number(text);
  if (text.length === 6 && MODICON_PREFIX[text[0]!] !== undefined) {
    const a = n % 100000;
    if (a < 1 || a > 65536) return `register ${text}: six-digit Modicon numbers run from x00001 to x65536`;
    return { table: MODICON_PREFIX[text[0]!]!, address: a - 1 };
  }
  if (text.length === 5 && n >= 10001 && MODICON_PREFIX[text[0]!] !== undefined) {
    const a = n % 10000;
    if (a < 1) return `register ${text}: five-digit Modicon numbers run from x0001 to x9999`;
    return { table: MODICON_PREFIX[text[0]!]!, address: a - 1 };
  }
  if (n < 1 || n > 65536) return `register ${text}: 1-based register numbers run from 1 to 65536`;
  return { address: n - 1 };
}

const addressValue = z.union([
  z.number().int().min(0).max(65535),
  z
    .string()
    .regex(/^(0x[0-9a-fA-F]{1,4}|\d{1,5})$/, 'write a 0-based address as a number or hex (0x0156)')
    .transform((s) => Number(s))
    .pipe(z.number().int().min(0).max(65535, 'addresses run from 0 to 65535 (0xFFFF)')),
]);

const registerValue = z.union([z.number().int(), z.string()]);

const entrySchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . and -'),
    table: z.enum(REGISTER_TABLES as [RegisterTable, ...RegisterTable[]]).optional(),
    /** 0-based wire address */
    address: addressValue.optional(),
    /** register number as printed in the manual: 1-based, or 30001/40001 Modicon notation */
    register: registerValue.optional(),
    type: z.enum(REGISTER_TYPES as [RegisterType, ...RegisterType[]]).optional(),
    order: z.enum(BYTE_ORDERS as [ByteOrder, ...ByteOrder[]]).optional(),
    /** registers of a string (two characters each) */
    length: z.number().int().min(1).max(125).optional(),
    /** for a bool in a register: which bit (0 = least significant) */
    bit: z.number().int().min(0).max(15).optional(),
    scale: z
      .number()
      .refine((x) => x !== 0, 'scale must not be 0')
      .optional(),
    offset: z.number().optional(),
    unit: z.string().optional(),
    description: z.string().optional(),
    writable: z.boolean().optional(),
  })
  .refine((e) => (e.address === undefined) !== (e.register === undefined), {
    message: 'give exactly one of address (0-based, as on the wire) or register (as printed in the manual)',
  });

const mapSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'map names are lower case letters, digits, - and _'),
  description: z.string().optional(),
  identification: z
    .strictObject({
      vendor: z.string(),
      productCode: z.string(),
      revision: z.string(),
      url: z.string().optional(),
      productName: z.string().optional(),
      modelName: z.string().optional(),
    })
    .optional(),
  defaults: z
    .strictObject({
      table: z.enum(REGISTER_TABLES as [RegisterTable, ...RegisterTable[]]).optional(),
      type: z.enum(REGISTER_TYPES as [RegisterType, ...RegisterType[]]).optional(),
      order: z.enum(BYTE_ORDERS as [ByteOrder, ...ByteOrder[]]).optional(),
      scale: z.number().optional(),
      writable: z.boolean().optional(),
    })
    .default({}),
  registers: z.array(entrySchema).min(1),
});

/** The directory of the built-in maps (shipped with the package). */
export function builtinMapDir(): string {
  return join(packageRoot(), 'src', 'protocols', 'modbus', 'maps');
}

/** Names of the built-in maps ("pm5000", "sdm630", ...). */
export function builtinMapNames(): string[] {
  try {
    return readdirSync(builtinMapDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** A built-in map by name, or a map file by path. */
export function loadRegisterMap(nameOrPath: string): RegisterMap {
  const looksLikePath = /[\\/]/.test(nameOrPath) || /\.ya?ml$/i.test(nameOrPath);
  if (looksLikePath) {
    return parseRegisterMap(
      readYamlSource(nameOrPath, 'register map', `check the path, or name a built-in map: ${builtinMapNames().join(', ')}`),
    );
  }
  const file = join(builtinMapDir(), `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw usageError(
      `unknown register map "${nameOrPath}"`,
      `built-in maps: ${builtinMapNames().join(', ') || '(none found)'}; or give the path of a map file (docs/register-maps.md)`,
    );
  }
  return parseRegisterMap(readYamlSource(file, 'register map'));
}

/** Parses and checks a map: schema, then tables, widths, overlaps and duplicate names. */
export function parseRegisterMap(source: YamlSource): RegisterMap {
  const raw = parseYaml(source, mapSchema, 'register map');
  const d = raw.defaults;
  const entries: RegisterEntry[] = [];
  const fail = (i: number, field: string | undefined, message: string) =>
    yamlFieldError(source, field ? ['registers', i, field] : ['registers', i], message, 'register map');
  raw.registers.forEach((r, i) => {
    let table = r.table ?? d.table;
    let address: number;
    if (r.register !== undefined) {
      const loc = parseRegisterNumber(r.register);
      if (typeof loc === 'string') throw fail(i, 'register', loc);
      if (loc.table && r.table && loc.table !== r.table) {
        throw fail(i, 'register', `register ${r.register} is Modicon notation for the ${loc.table} table, but table is ${r.table}`);
      }
      table = loc.table ?? table;
      address = loc.address;
    } else {
      address = r.address!;
    }
    if (!table) throw fail(i, undefined, `${r.name}: no table (give table: coil, discrete, input or holding, or a default)`);
    const type: RegisterType = r.type ?? (table === 'coil' || table === 'discrete' ? 'bool' : (d.type ?? 'uint16'));
    if ((table === 'coil' || table === 'discrete') && type !== 'bool') {
      throw fail(i, 'type', `${r.name}: ${table}s hold single bits; the type must be bool`);
    }
    if (type === 'string' && r.length === undefined)
      throw fail(i, 'length', `${r.name}: a string needs length (registers, two characters each)`);
    if (r.bit !== undefined && (type !== 'bool' || table === 'coil' || table === 'discrete')) {
      throw fail(i, 'bit', `${r.name}: bit applies to a bool in an input or holding register`);
    }
    const writable = r.writable ?? d.writable ?? false;
    if (writable && (table === 'input' || table === 'discrete')) {
      throw fail(i, 'writable', `${r.name}: ${table === 'input' ? 'input registers' : 'discrete inputs'} are read-only by protocol`);
    }
    const length = type === 'string' ? r.length! : typeWidth(type);
    if (address + length > 65536)
      throw fail(i, r.register !== undefined ? 'register' : 'address', `${r.name}: runs past the last address (0xFFFF)`);
    entries.push({
      name: r.name,
      table,
      address,
      type,
      order: r.order ?? d.order ?? 'ABCD',
      length,
      ...(r.bit === undefined ? {} : { bit: r.bit }),
      scale: r.scale ?? d.scale ?? 1,
      offset: r.offset ?? 0,
      ...(r.unit === undefined ? {} : { unit: r.unit }),
      ...(r.description === undefined ? {} : { description: r.description }),
      writable,
    });
  });
  checkOverlaps(entries, (i, message) => fail(i, undefined, message));
  return {
    name: raw.name,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    ...(raw.identification === undefined ? {} : { identification: raw.identification as DeviceIdentification }),
    entries,
  };
}

function checkOverlaps(entries: RegisterEntry[], fail: (i: number, message: string) => Error): void {
  const names = new Map<string, number>();
  entries.forEach((e, i) => {
    const prev = names.get(e.name);
    if (prev !== undefined) throw fail(i, `duplicate name "${e.name}" (also registers[${prev}])`);
    names.set(e.name, i);
  });
  for (const table of REGISTER_TABLES) {
    const inTable = entries
      .map((e, i) => ({ e, i }))
      .filter((x) => x.e.table === table)
      .sort((a, b) => a.e.address - b.e.address);
    for (let k = 1; k < inTable.length; k++) {
      const a = inTable[k - 1]!;
      const b = inTable[k]!;
      // Two bools on different bits of one register share it legitimately.
      const sameRegisterBits = a.e.bit !== undefined && b.e.bit !== undefined && a.e.address === b.e.address && a.e.bit !== b.e.bit;
      if (!sameRegisterBits && b.e.address < a.e.address + a.e.length) {
        throw fail(
          b.i,
          `${b.e.name} (${formatRegisterAddress(b.e.table, b.e.address)}) overlaps ${a.e.name} (${formatRegisterAddress(a.e.table, a.e.address)}, ${a.e.length} register${a.e.length > 1 ? 's' : ''})`,
        );
      }
    }
  }
}

const TABLE_PREFIX: Record<RegisterTable, string> = { coil: 'co', discrete: 'di', input: 'ir', holding: 'hr' };

/** "ir:0x0156": how captures and messages name a register (table prefix and 0-based hex address). */
export function formatRegisterAddress(table: RegisterTable, address: number): string {
  return `${TABLE_PREFIX[table]}:0x${address.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The Modbus function code that reads a table. */
export function readFunctionCode(table: RegisterTable): 1 | 2 | 3 | 4 {
  return table === 'coil' ? 1 : table === 'discrete' ? 2 : table === 'holding' ? 3 : 4;
}

/** Entries of one table sorted by address. */
export function entriesOf(map: RegisterMap, table: RegisterTable): RegisterEntry[] {
  return map.entries.filter((e) => e.table === table).sort((a, b) => a.address - b.address);
}
