/**
 * Which built-in register map fits a Modbus device, from what the device says about itself (Read
 * Device Identification, function 43/14, as `iiot discover` records it in the inventory). Only the
 * meters the built-in maps were written for are recognised: the Eastron SDM630 and the Schneider
 * Electric PowerLogic PM5000 series. Anything else gets no suggestion: a wrong map reads
 * plausible-looking nonsense, so asking for --map is better than guessing.
 */
export interface DeviceIdentification {
  vendor?: string | undefined;
  productCode?: string | undefined;
  productName?: string | undefined;
  modelName?: string | undefined;
}

export interface MapSuggestion {
  /** built-in map name (`--map` accepts it) */
  map: 'sdm630' | 'pm5000';
  /** the meter, for people: "Eastron SDM630" */
  meter: string;
}

const KNOWN: ReadonlyArray<{ map: MapSuggestion['map']; meter: string; vendor: RegExp; product: RegExp }> = [
  { map: 'sdm630', meter: 'Eastron SDM630', vendor: /\beastron\b/i, product: /\bSDM\s?630/i },
  // PM5100, PM5330, PM5560...; Schneider's commercial references are METSEPM5xxx
  { map: 'pm5000', meter: 'Schneider Electric PM5000', vendor: /\bschneider\b/i, product: /\bPM\s?5\d{3}\b|\bMETSEPM5\d{3}/i },
];

/** The built-in map for a device that names a known meter; undefined for anything else. */
export function suggestBuiltinMap(id: DeviceIdentification | undefined): MapSuggestion | undefined {
  if (!id) return undefined;
  const product = [id.productCode, id.productName, id.modelName].filter((s): s is string => Boolean(s)).join(' ');
  if (product === '') return undefined;
  for (const k of KNOWN) {
    if (!k.product.test(product)) continue;
    // a vendor that says something else is not this meter, whatever its product code looks like
    if (id.vendor !== undefined && id.vendor.trim() !== '' && !k.vendor.test(id.vendor)) continue;
    return { map: k.map, meter: k.meter };
  }
  return undefined;
}
