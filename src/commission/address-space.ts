import { readFileSync } from 'node:fs';
import type { IO } from '../core/io.js';
import type { OpcUaTarget } from '../core/targets.js';
import type { CommissionRunOptions } from './options.js';

/**
 * The evidence of what a server offered at handover: `iiot browse <url> --all --json -o FILE`,
 * run by the same code as that command. Returns the number of nodes exported.
 */
export async function exportAddressSpace(
  io: IO,
  target: OpcUaTarget,
  o: Pick<CommissionRunOptions, 'identity' | 'trustOnFirstUse' | 'timeoutMs'>,
  file: string,
): Promise<number> {
  const { runBrowse } = await import('../browse/run.js');
  await runBrowse(io, {
    connect: { target, identity: o.identity, trustOnFirstUse: o.trustOnFirstUse, timeoutMs: o.timeoutMs },
    depth: Number.POSITIVE_INFINITY,
    all: true,
    attributes: false,
    format: 'json',
    output: file,
    endpoints: false,
    interactive: false,
  });
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { nodeCount?: number };
  return doc.nodeCount ?? 0;
}
