/**
 * What `iiot sim` prints: the iiot.sim/1 document (docs/json-output.md, also the --ready-file),
 * the plant's endpoints as a table, commands to try against it, and what --generate wrote.
 */
import type { Styler } from '../render/color.js';
import { renderTable } from '../render/table.js';
import type { GenerateResult } from './generate.js';
import type { RunningPlant } from './plant.js';

/** The --json document (iiot.sim/1, docs/json-output.md) and the ready file's content. */
export function describe(plant: RunningPlant, plantFile: string, user: string | undefined) {
  const cfg = plant.model.config;
  return {
    plant: {
      name: cfg.name,
      file: plantFile,
      seed: plant.model.seed,
      modelStart: new Date(plant.clock.modelStart).toISOString(),
      epoch: new Date(plant.model.start).toISOString(),
      timeScale: plant.clock.scale,
      timezone: cfg.timezone,
      signals: plant.model.signals.length,
    },
    endpoints: plant.endpoints,
    ...(plant.opcua
      ? {
          opcua: {
            endpoint: plant.endpoints.opcua,
            namespaceUri: plant.opcua.namespaceUri,
            namespaceIndex: plant.opcua.namespaceIndex,
            profile: plant.opcua.profile,
            nodes: plant.opcua.nodeCount,
            ...(plant.opcua.twin ? { twin: plant.opcua.twin } : {}),
            certificate: plant.opcua.certificateFile,
            pkiDir: plant.opcua.pkiDir,
            ...(user === undefined ? {} : { user }),
          },
        }
      : {}),
    ...(plant.modbus ? { modbus: { endpoint: plant.endpoints.modbus, units: plant.modbus.units } } : {}),
    ...(plant.endpoints.rtu ? { rtu: { endpoint: plant.endpoints.rtu } } : {}),
    ...(plant.mqtt
      ? { mqtt: { endpoint: plant.endpoints.mqtt, ...plant.mqtt, ...(plant.mqtt.auth && user !== undefined ? { user } : {}) } }
      : {}),
    tags: plant.tags,
    startupMs: Object.fromEntries(Object.entries(plant.startupMs).map(([k, v]) => [k, Math.round(v)])),
  };
}

/** The plant as people read it: its name and model, then a table of what serves where. */
export function renderPlant(plant: RunningPlant, style: Styler): string {
  const cfg = plant.model.config;
  const rows: Array<{ protocol: string; endpoint: string; details: string }> = [];
  if (plant.opcua && plant.endpoints.opcua) {
    const twin = plant.opcua.twin;
    rows.push({
      protocol: 'OPC UA',
      endpoint: plant.endpoints.opcua,
      details: twin
        ? `profile ${plant.opcua.profile}, ${plant.opcua.nodeCount} nodes, the twin of ${twin.file}: ${twin.driven} variables driven by the plant model, ${twin.simulated} simulated`
        : `profile ${plant.opcua.profile}, ${plant.opcua.nodeCount} nodes, plant in ns=${plant.opcua.namespaceIndex} (${plant.opcua.namespaceUri}) under /Objects/Plant`,
    });
  }
  if (plant.modbus && plant.endpoints.modbus) {
    rows.push({
      protocol: 'Modbus TCP',
      endpoint: plant.endpoints.modbus,
      details: plant.modbus.units.map((u) => `unit ${u.unitId} ${u.map}`).join(', '),
    });
  }
  if (plant.endpoints.rtu)
    rows.push({ protocol: 'Modbus RTU', endpoint: plant.endpoints.rtu, details: 'the main incomer meter on a serial line' });
  if (plant.mqtt && plant.endpoints.mqtt) {
    const parts: string[] = [];
    if (plant.mqtt.topicPrefix) parts.push(`JSON on ${plant.mqtt.topicPrefix}/<asset>/<signal>`);
    if (plant.mqtt.sparkplug) parts.push(`Sparkplug B spBv1.0/${plant.mqtt.sparkplug.groupId}/+/${plant.mqtt.sparkplug.edgeNodeId}/#`);
    if (plant.mqtt.auth) parts.push('username/password required');
    rows.push({ protocol: 'MQTT', endpoint: plant.endpoints.mqtt, details: parts.join('; ') });
  }
  const head = `${style.bold(cfg.name)}: ${plant.model.signals.length} signals, seed ${plant.model.seed}, time scale ${plant.clock.scale}x`;
  return `${head}\n${renderTable(rows, [
    { header: 'protocol', value: (r) => r.protocol },
    { header: 'endpoint', value: (r) => r.endpoint },
    { header: 'details', value: (r) => r.details },
  ])}`;
}

/** A few commands to try against the plant, with its real ports (stderr: diagnostics, not results). */
export function tryLines(plant: RunningPlant): string {
  const lines: string[] = [];
  // a twin serves the exported server's folders, not the plant's
  if (plant.endpoints.opcua)
    lines.push(`iiot browse ${plant.endpoints.opcua} ${plant.opcua?.twin ? '/Objects --depth 2' : '/Objects/Plant'}`);
  if (plant.endpoints.modbus) {
    const u = new URL(plant.endpoints.modbus);
    lines.push(`mbpoll -m tcp -p ${u.port} -a 1 -t 3:float -B -0 -r 0 -c 3 -1 ${u.hostname}    # SDM630 voltages L1-L3`);
  }
  if (plant.endpoints.mqtt && plant.mqtt?.topicPrefix && !plant.mqtt.auth) {
    const u = new URL(plant.endpoints.mqtt);
    lines.push(`mosquitto_sub -h ${u.hostname} -p ${u.port} -t '${plant.mqtt.topicPrefix}/#' -v`);
  }
  return lines.length ? `try:\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
}

/** What --generate wrote, and the ground truth in its header. */
export function renderGenerated(result: GenerateResult, seconds: number): string {
  const gt = result.groundTruth;
  const lines = [
    `${result.file}: ${result.samples} samples of ${result.tags} tags, ${result.from} to ${result.to} (${seconds.toFixed(1)} s)`,
    `ground truth: ${gt.energy.totalKwh} kWh in total, idle mean ${gt.energy.idleMeanKw} kW, 15-min peak ${gt.energy.peakDemand15MinKw} kW`,
    ...gt.bearings.map(
      (b) =>
        `ground truth: ${b.tag} degrades from ${b.onset} and reaches ${b.thresholdMmS} mm/s at ${b.failure}${b.failureInSpan ? '' : ' (after the end of the capture)'}`,
    ),
  ];
  return lines.join('\n');
}
