import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { builtinMapNames, loadRegisterMap, type RegisterMap } from '../protocols/modbus/register-map.js';
import { parseYaml, readYamlSource, yamlFieldError, type YamlSource } from '../yaml/load.js';
import { planSchema, type LatencyBudget, type Plan, type PlanDevice, type PlanSignal, type SecurityExpectations } from './plan-schema.js';

/**
 * Reading the acceptance plan: the schema (plan-schema.ts), then what a schema cannot say —
 * ids unique, every signal on a device of the plan, Modbus signals with a map that has their
 * entry — each error naming the file and line, before anything is sent to any device.
 */

export interface LoadedPlan {
  plan: Plan;
  /** the file as written (kept as evidence: the plan as run) */
  text: string;
  file: string;
}

export function loadPlan(file: string): LoadedPlan {
  const source = readYamlSource(file, 'acceptance plan', 'check the path, or draft a plan with `iiot commission init`');
  const plan = parsePlan(source);
  // A map file named in the plan is found beside the plan, wherever the command is run from.
  const builtin = new Set(builtinMapNames());
  plan.devices.forEach((d, i) => {
    if (d.map === undefined || builtin.has(d.map)) return;
    const written = d.map;
    if (!isAbsolute(d.map)) d.map = resolve(dirname(file), d.map);
    if (!existsSync(d.map))
      throw yamlFieldError(
        source,
        ['devices', i, 'map'],
        `no built-in register map and no map file "${written}" (built-in: ${[...builtin].join(', ')}; a file is found beside the plan)`,
        'acceptance plan',
      );
  });
  checkMapEntries(source, plan);
  return { plan, text: source.text, file };
}

/**
 * A Modbus signal names an entry of its device's register map, exactly (the recorder would take a
 * pattern, a plan names one signal): a misspelt entry is a mistake in the plan, said with its line
 * before anything is sent, not a recording that refuses to start.
 */
function checkMapEntries(source: YamlSource, plan: Plan): void {
  const maps = new Map<string, RegisterMap>();
  plan.signals.forEach((s, i) => {
    const d = plan.devices.find((x) => x.id === s.device)!;
    if (d.map === undefined) return;
    let map = maps.get(d.id);
    if (!map) maps.set(d.id, (map = loadRegisterMap(d.map)));
    const name = s.address.trim();
    if (map.entries.some((e) => e.name === name)) return;
    const near = map.entries.find((e) => e.name.toLowerCase() === name.toLowerCase())?.name;
    throw yamlFieldError(
      source,
      ['signals', i, 'address'],
      `the register map ${map.name} of device "${d.id}" has no entry "${name}"${near ? ` (did you mean "${near}"?)` : ''}`,
      'acceptance plan',
    );
  });
}

export function parsePlan(source: YamlSource): Plan {
  const plan = parseYaml(source, planSchema, 'acceptance plan');
  const fail = (path: Array<string | number>, message: string) => yamlFieldError(source, path, message, 'acceptance plan');
  const devices = new Map<string, number>();
  const urls = new Map<string, number>();
  plan.devices.forEach((d, i) => {
    const prev = devices.get(d.id);
    if (prev !== undefined) throw fail(['devices', i, 'id'], `duplicate device id "${d.id}" (also devices[${prev}])`);
    devices.set(d.id, i);
    const sameUrl = urls.get(d.url.url);
    if (sameUrl !== undefined) throw fail(['devices', i, 'url'], `${d.url.url} is also devices[${sameUrl}]`);
    urls.set(d.url.url, i);
    if (d.url.protocol === 'tcp')
      throw fail(['devices', i, 'url'], 'tcp:// names no protocol to accept: write opc.tcp://, modbus://, modbus-rtu:// or mqtt(s)://');
    if (d.map !== undefined && d.url.protocol !== 'modbus' && d.url.protocol !== 'modbus-rtu')
      throw fail(['devices', i, 'map'], 'a register map is for Modbus devices only');
  });
  const tags = new Map<string, number>();
  plan.signals.forEach((s, i) => {
    const prev = tags.get(s.tag);
    if (prev !== undefined) throw fail(['signals', i, 'tag'], `duplicate tag "${s.tag}" (also signals[${prev}])`);
    tags.set(s.tag, i);
    const d = devices.get(s.device);
    if (d === undefined)
      throw fail(['signals', i, 'device'], `no device "${s.device}" in the plan (devices: ${[...devices.keys()].join(', ')})`);
    const dev = plan.devices[d]!;
    if ((dev.url.protocol === 'modbus' || dev.url.protocol === 'modbus-rtu') && dev.map === undefined) {
      throw fail(['devices', d, 'url'], `device "${dev.id}" has Modbus signals but no map: add map: sdm630, pm5000 or a map file`);
    }
    if (s.range && !(s.range[1] > s.range[0]))
      throw fail(['signals', i, 'range'], `the range [${s.range[0]}, ${s.range[1]}] is empty: write [low, high]`);
    if (s.jsonPath !== undefined && (dev.url.protocol !== 'mqtt' || s.address.startsWith('spBv1.0/')))
      throw fail(
        ['signals', i, 'jsonPath'],
        'jsonPath names a value in a JSON payload of an MQTT topic; Sparkplug metrics and other protocols have none',
      );
  });
  return plan;
}

/** A signal's failures reject the acceptance unless it, or its device (a spare, a later phase), is optional. */
export function signalMustPass(plan: Plan, s: PlanSignal): boolean {
  return s.optional !== true && plan.devices.find((d) => d.id === s.device)?.optional !== true;
}

/** The device's security expectations: its own over the plan's defaults. */
export function securityOf(plan: Plan, d: PlanDevice): SecurityExpectations {
  return { ...plan.defaults?.security, ...d.security };
}

export function latencyOf(plan: Plan, d: PlanDevice): LatencyBudget {
  return { ...plan.defaults?.latency, ...d.latency };
}
