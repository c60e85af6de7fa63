/**
 * What an inventory (`iiot discover --json`, docs/inventory.md) feeds to the commands that act on
 * devices (issue 7): the OPC UA servers `iiot browse --inventory` browses, and the sources
 * `iiot record --inventory` records, with the built-in register map a Modbus meter's
 * identification names. (`iiot check --inventory` reads it through src/checks/targets.ts.) Only
 * the devices listed are ever contacted: nothing is derived, expanded or scanned here.
 */
import { usageError } from '../core/errors.js';
import { DISCOVERABLE, discoveryFor, PROTOCOLS, protocolFor, type RecordableName } from '../protocols/registry.js';
import { readInventory, type InventoryDevice } from './inventory.js';

/** The protocols `iiot record` records (Modbus TCP and RTU are both "modbus"). */
export type RecordKind = RecordableName;
export const RECORD_KINDS: readonly RecordKind[] = PROTOCOLS.flatMap((p) => (p.record ? [p.name as RecordKind] : []));

export interface FedDevice {
  /** canonical device URL */
  url: string;
  protocol: InventoryDevice['protocol'];
  /** the inventory's one line for people ("Eastron SDM630 v2.0") */
  name: string;
  /** "site.json:42": the file and the line of the device's "url" */
  where: string;
  /** Modbus: the built-in register map the device's identification names */
  map?: { name: string; meter: string } | undefined;
}

export interface FedInventory {
  file: string;
  devices: FedDevice[];
  /** said on stderr: devices left out and why */
  notes: string[];
  /** the discovery that wrote the inventory did not finish (devices may be missing), with why */
  incomplete?: string[] | undefined;
}

/** "2 Modbus TCP devices and 1 MQTT broker", or "no device". */
export function inventoryCounts(devices: readonly InventoryDevice[]): string {
  const kinds = DISCOVERABLE.flatMap((p) => Object.entries(p.discovery.kinds));
  const parts = kinds.flatMap(([kind, words]) => {
    const n = devices.filter((d) => d.protocol === kind).length;
    return n ? [`${n} ${n === 1 ? words.one : words.many}`] : [];
  });
  if (parts.length === 0) return 'no device';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const kindOf = (p: InventoryDevice['protocol']): RecordKind => protocolFor(p).name as RecordKind;

/** A discovery server (LDS) has no plant data: the servers registered with it are listed on their own. */
const isDiscoveryServer = (d: InventoryDevice) => discoveryFor(d.protocol).isDirectory?.(d) ?? false;

function read(file: string, text: string | undefined) {
  const inv = readInventory(file, text);
  return { inv, incomplete: inv.complete ? undefined : (inv.inventory.incomplete ?? ['the discovery did not finish']) };
}

function fed(file: string, device: InventoryDevice, line: number): FedDevice {
  const map = discoveryFor(device.protocol).suggestMap?.(device);
  return { url: device.url, protocol: device.protocol, name: device.name, where: `${file}:${line}`, ...(map ? { map } : {}) };
}

function skipNote(d: FedDevice): string {
  return `${d.url} (${d.where}) is a discovery server, left out: the servers registered with it are in the inventory on their own when discovery reached them`;
}

/** The OPC UA servers of an inventory, in its order; none is a usage error naming the file. */
export function opcuaServersOf(file: string, text?: string): FedInventory {
  const { inv, incomplete } = read(file, text);
  const notes: string[] = [];
  const devices: FedDevice[] = [];
  for (const { device, line } of inv.devices) {
    if (device.protocol !== 'opcua') continue;
    const d = fed(file, device, line);
    if (isDiscoveryServer(device)) notes.push(skipNote(d));
    else devices.push(d);
  }
  if (devices.length === 0) {
    const all = inv.devices.map((e) => e.device);
    const lds = all.filter(isDiscoveryServer).length;
    throw usageError(
      `${file}: the inventory lists no OPC UA server to browse (it lists ${inventoryCounts(all)}${lds ? `, of them ${lds} discovery server${lds === 1 ? '' : 's'}` : ''})`,
      'run `iiot discover` where the OPC UA servers are (opcua in --protocols, their ports with --ports), or name a server: iiot browse opc.tcp://HOST:4840',
    );
  }
  return { file, devices, notes, ...(incomplete ? { incomplete } : {}) };
}

/**
 * The devices of an inventory `iiot record` can record, of the kinds asked (Modbus TCP and RTU are
 * both "modbus"), each with the built-in map its identification names when it is a Modbus meter
 * iiot knows. None is a usage error naming the file and what it does list.
 */
export function recordSourcesOf(file: string, kinds: ReadonlySet<RecordKind> = new Set(RECORD_KINDS), text?: string): FedInventory {
  const { inv, incomplete } = read(file, text);
  const notes: string[] = [];
  const devices: FedDevice[] = [];
  for (const { device, line } of inv.devices) {
    if (!kinds.has(kindOf(device.protocol))) continue;
    const d = fed(file, device, line);
    if (isDiscoveryServer(device)) notes.push(skipNote(d));
    else devices.push(d);
  }
  if (devices.length === 0) {
    const asked = RECORD_KINDS.filter((k) => kinds.has(k));
    const all = inv.devices.map((e) => e.device);
    throw usageError(
      `${file}: the inventory lists no ${asked.length === RECORD_KINDS.length ? '' : `${asked.join(' or ')} `}device to record (it lists ${inventoryCounts(all)})`,
      asked.length === RECORD_KINDS.length
        ? 'run `iiot discover` where the devices are first, or name device URLs'
        : 'choose other protocols with --protocols (opcua, modbus, mqtt), or name device URLs',
    );
  }
  return { file, devices, notes, ...(incomplete ? { incomplete } : {}) };
}
