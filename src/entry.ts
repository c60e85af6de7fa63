/**
 * What bin/iiot.js loads. Help requests are answered from text rendered at build time
 * (dist/help.json), so `iiot --help` and `iiot <command> --help` do not load the command table at
 * all; everything else loads it lazily. test/core/help.test.ts proves the text is identical to
 * what commander renders.
 */
import { readFileSync } from 'node:fs';

export async function main(argv: string[]): Promise<void> {
  const key = helpRequest(argv.slice(2));
  if (key !== undefined) {
    const text = loadHelpTable()?.[key];
    if (text !== undefined) {
      process.stdout.write(text);
      return;
    }
  }
  const cli = await import('./cli.js');
  await cli.main(argv);
}

/** The command path ("check latency") of a pure help request, or undefined for anything else. */
export function helpRequest(args: readonly string[]): string | undefined {
  let path: readonly string[];
  if (args[0] === 'help') path = args.slice(1);
  else if (args.length > 0 && (args[args.length - 1] === '--help' || args[args.length - 1] === '-h')) path = args.slice(0, -1);
  else return undefined;
  if (path.some((a) => a.startsWith('-'))) return undefined;
  return path.join(' ');
}

function loadHelpTable(): Record<string, string> | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as Record<string, string>;
  } catch {
    return undefined; // built without help text: commander renders it
  }
}
