import type { Command } from 'commander';
import type { Register } from '../program.js';

/**
 * A stand-in for commander's Command that records what a commands/<verb>.ts module registers (the
 * actions, the option flags with their parsers, the argument usages) without loading commander.
 * It has only the chainable methods such modules use to declare a command; a module that calls
 * anything else (or builds an Option itself) cannot be recorded, and commander runs it.
 */

type Parser = (value: string, previous: unknown) => unknown;
type Action = (...args: unknown[]) => unknown;

export interface Recorded {
  action?: Action;
  options: Array<{ flags: string; parser?: Parser }>;
  args: string[];
}

class Recorder {
  readonly #path: string;
  readonly #into: Map<string, Recorded>;
  readonly #own: Recorded = { options: [], args: [] };

  constructor(path: string, into: Map<string, Recorded>) {
    this.#path = path;
    this.#into = into;
    into.set(path, this.#own);
  }

  command(name: string): Recorder {
    if (/\s/.test(name)) throw new Error(`cannot record command "${name}"`); // arguments in the name
    return new Recorder(this.#path === '' ? name : `${this.#path} ${name}`, this.#into);
  }

  summary(): this {
    return this;
  }

  description(): this {
    return this;
  }

  addHelpText(): this {
    return this;
  }

  argument(usage: string, _description?: string, ...rest: unknown[]): this {
    if (rest.length > 0) throw new Error(`cannot record argument "${usage}" with a parser or default`);
    this.#own.args.push(usage);
    return this;
  }

  option(flags: string, _description?: string, parserOrDefault?: unknown): this {
    this.#own.options.push({ flags, ...(typeof parserOrDefault === 'function' ? { parser: parserOrDefault as Parser } : {}) });
    return this;
  }

  requiredOption(flags: string, description?: string, parserOrDefault?: unknown): this {
    return this.option(flags, description, parserOrDefault);
  }

  action(fn: Action): this {
    this.#own.action = fn;
    return this;
  }
}

/** What `register` declares, by command path ("capture info"); undefined if it cannot be recorded. */
export function record(register: Register): Map<string, Recorded> | undefined {
  const into = new Map<string, Recorded>();
  try {
    register(new Recorder('', into) as unknown as Command);
  } catch {
    return undefined;
  }
  return into;
}
