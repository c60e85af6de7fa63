import { parseTarget, type Target } from '../core/targets.js';
import type { Inventory, InventoryDevice } from '../discovery/inventory.js';
import { item, type Item } from './items.js';
import type { Plan, PlanDevice } from './plan-schema.js';

/**
 * Expected devices against what discovery found: each device of the plan found and identified
 * as the plan says; each device found that the plan does not list is an item of its own (an
 * unknown device on a plant network is something the owner must hear about).
 */

/** Devices are the same when protocol, address and unit agree (URLs may differ in spelling). */
export function sameDevice(a: Target, b: Target): boolean {
  if (a.url === b.url) return true;
  if (a.protocol !== b.protocol) return false;
  if (a.protocol === 'modbus-rtu' && b.protocol === 'modbus-rtu') return a.path === b.path && a.unit === b.unit;
  if (a.protocol === 'modbus-rtu' || b.protocol === 'modbus-rtu') return false;
  const sameHost = a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
  if (a.protocol === 'modbus' && b.protocol === 'modbus') return sameHost && a.unit === b.unit;
  if (a.protocol === 'mqtt' && b.protocol === 'mqtt') return sameHost && a.tls === b.tls;
  return sameHost;
}

function targetOf(d: InventoryDevice): Target | undefined {
  try {
    return parseTarget(d.url);
  } catch {
    return undefined;
  }
}

export function findDevice(inventory: Inventory, d: PlanDevice): InventoryDevice | undefined {
  return inventory.devices.find((x) => {
    const t = targetOf(x);
    return t !== undefined && sameDevice(t, d.url);
  });
}

const norm = (s: string | undefined) => (s ?? '').trim().toLowerCase();

/** [field, expected, observed] for every identity field the plan names. */
function identityFields(d: PlanDevice, found: InventoryDevice): Array<[string, string, string | undefined]> {
  const want = d.identity ?? {};
  const out: Array<[string, string, string | undefined]> = [];
  const add = (field: string, expected: string | undefined, observed: string | undefined) => {
    if (expected !== undefined) out.push([field, expected, observed]);
  };
  if (found.protocol === 'opcua') {
    add('applicationUri', want.applicationUri, found.identity.applicationUri);
    add('productUri', want.productUri, found.identity.productUri);
    add('applicationName', want.applicationName, found.identity.applicationName);
  } else if (found.protocol === 'modbus' || found.protocol === 'modbus-rtu') {
    add('vendor', want.vendor, found.identity.vendor);
    add('productCode', want.productCode, found.identity.productCode);
    add('revision', want.revision, found.identity.revision);
    add('productName', want.productName, found.identity.productName);
    add('modelName', want.modelName, found.identity.modelName);
  } else if (found.protocol === 'mqtt') {
    add('protocolVersion', want.protocolVersion, found.identity.protocolVersion);
    for (const node of want.sparkplug ?? []) {
      const [g, n] = node.split('/') as [string, string];
      const seen = found.sparkplug?.groups.find((x) => x.groupId === g)?.nodes.find((x) => x.edgeNodeId === n);
      out.push([
        `sparkplug ${node}`,
        'online',
        seen ? (seen.online === false ? 'offline (NDEATH)' : seen.birth === 'not-seen' ? 'seen, no birth' : 'online') : undefined,
      ]);
    }
  }
  return out;
}

export function judgeDevices(plan: Plan, inventory: Inventory): { items: Item[]; found: Map<string, InventoryDevice> } {
  const items: Item[] = [];
  const found = new Map<string, InventoryDevice>();
  for (const d of plan.devices) {
    const dev = findDevice(inventory, d);
    const mustPass = d.optional !== true;
    const missing = inventory.noAnswer.find(
      (n) => n.target === d.url.url || (n.port !== undefined && 'port' in d.url && n.port === d.url.port && n.host === d.url.host),
    );
    items.push(
      item('device', d.id, 'found', `${d.id} answers at ${d.url.url}`, dev !== undefined, {
        mustPass,
        expected: `a ${d.url.protocol} device at ${d.url.url}`,
        observed: dev ? dev.name : missing ? `no device (${missing.result}${missing.detail ? `: ${missing.detail}` : ''})` : 'no device',
        evidence: 'evidence/inventory.json',
      }),
    );
    if (!dev) continue;
    found.set(d.id, dev);
    const fields = identityFields(d, dev);
    if (fields.length === 0) continue;
    const wrong = fields.filter(([, e, o]) => norm(e) !== norm(o));
    items.push(
      item('identity', d.id, 'identity', `${d.id} is the device the plan names`, wrong.length === 0, {
        mustPass,
        expected: fields.map(([f, e]) => `${f} ${e}`).join('; '),
        observed: (wrong.length ? wrong : fields).map(([f, , o]) => `${f} ${o ?? '(not reported)'}`).join('; '),
        evidence: 'evidence/inventory.json',
      }),
    );
  }
  const planned = plan.devices.map((d) => d.url);
  for (const dev of inventory.devices) {
    const t = targetOf(dev);
    if (t && planned.some((p) => sameDevice(p, t))) continue;
    items.push(
      item('device', dev.url, 'unexpected', `no unexpected device at ${dev.url}`, false, {
        expected: 'only the devices of the plan',
        observed: `${dev.name} (${dev.protocol}), not in the plan`,
        evidence: 'evidence/inventory.json',
      }),
    );
  }
  return { items, found };
}
