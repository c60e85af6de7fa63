/**
 * What a check runs against: the device URLs on the command line and, with `--inventory FILE`,
 * the `devices[].url` of an `iiot discover --json` document (issue 7). Each target remembers where
 * it came from, so a SARIF result can point at the inventory line that named the device. Only the
 * targets named are ever contacted: nothing is derived, expanded or scanned here.
 */
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { parseTarget, type Target } from '../core/targets.js';
import { readInventory as readDiscoveryInventory } from '../discovery/inventory.js';

export type TargetOrigin =
  | { kind: 'argument'; index: number }
  /** line: 1-based line of the device's "url" in the file */
  | { kind: 'inventory'; file: string; index: number; line: number };

export interface CheckTarget {
  target: Target;
  origin: TargetOrigin;
}

/**
 * How every check's JSON document starts a target (docs/json-output.md): these fields in this
 * order, reason and hint only when set.
 */
export function targetJsonHead(t: {
  target: string;
  protocol: string;
  origin: TargetOrigin;
  status: string;
  reason?: string | undefined;
  hint?: string | undefined;
}): Record<string, unknown> {
  return {
    target: t.target,
    protocol: t.protocol,
    origin: t.origin,
    status: t.status,
    ...(t.reason === undefined ? {} : { reason: t.reason }),
    ...(t.hint === undefined ? {} : { hint: t.hint }),
  };
}

/** Host of a target for politeness (serial ports count as one "host" each). */
export function hostKey(t: Target): string {
  return 'host' in t ? t.host.toLowerCase() : `serial:${t.path}`;
}

export interface InventoryReadResult {
  targets: CheckTarget[];
  /** devices left out, with why (shown as notes) */
  skipped: Array<{ index: number; line: number; url: string; reason: string }>;
  /** the discovery that wrote the inventory did not finish (devices may be missing), with why */
  incomplete?: string[] | undefined;
}

/**
 * The inventory as discovery defines it (src/discovery/inventory.ts: the zod schema of
 * `iiot.discover/1`, errors naming file, line and field): each device's canonical URL, with the
 * line of its "url" in the file for SARIF locations.
 */
export function readInventory(file: string, text?: string): InventoryReadResult {
  const inv = readDiscoveryInventory(file, text);
  const targets: CheckTarget[] = inv.devices.map(({ device, index, line }) => ({
    target: parseTarget(device.url),
    origin: { kind: 'inventory', file, index, line },
  }));
  return { targets, skipped: [], ...(inv.complete ? {} : { incomplete: inv.inventory.incomplete ?? ['the discovery did not finish'] }) };
}

/**
 * Targets from arguments and an inventory, each once (by canonical URL; an argument wins over the
 * inventory entry of the same device). At least one is required.
 */
export function resolveTargets(args: readonly string[], inventoryFile: string | undefined, inventoryText?: string): InventoryReadResult {
  const out: CheckTarget[] = [];
  const seen = new Set<string>();
  args.forEach((a, index) => {
    const target = parseTarget(a);
    if (seen.has(target.url)) return;
    seen.add(target.url);
    out.push({ target, origin: { kind: 'argument', index } });
  });
  let skipped: InventoryReadResult['skipped'] = [];
  let incomplete: string[] | undefined;
  if (inventoryFile !== undefined) {
    const inv = readInventory(inventoryFile, inventoryText);
    skipped = inv.skipped;
    incomplete = inv.incomplete;
    for (const t of inv.targets) {
      if (seen.has(t.target.url)) continue;
      seen.add(t.target.url);
      out.push(t);
    }
    if (inv.targets.length === 0 && args.length === 0) {
      throw new IiotError(ExitCode.Usage, `${inventoryFile}: the inventory lists no device iiot can check`, {
        hint: 'run `iiot discover` against the network first; it lists OPC UA servers, Modbus devices and MQTT brokers',
      });
    }
  }
  if (out.length === 0)
    throw usageError(
      'no target given',
      'name device URLs (opc.tcp://127.0.0.1:4840, modbus://127.0.0.1:502?unit=1, mqtt://127.0.0.1:1883) or --inventory FILE',
    );
  return { targets: out, skipped, ...(incomplete ? { incomplete } : {}) };
}
