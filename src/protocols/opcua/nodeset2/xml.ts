/**
 * A small streaming XML writer for NodeSet2 files. Why not a library: the file is a flat run of
 * elements (100 000 nodes and more), written once, in order; what matters is exact escaping and
 * not holding the document in memory. xmlbuilder2 and fast-xml-parser's builder build a tree
 * first; their streaming modes add nothing but a dependency. The escaping is the part that can go
 * wrong, and it is tested on its own (test/protocols/opcua/nodeset2-pure.test.ts).
 *
 * XML 1.0 cannot carry every string: C0 control characters other than tab, newline and carriage
 * return, lone UTF-16 surrogates, U+FFFE and U+FFFF have no representation at all (not even as
 * character references). They are written as U+FFFD and counted, so the caller can say so.
 */

/** Characters XML 1.0 cannot represent (Char production of the XML 1.0 specification, §2.2). */
// eslint-disable-next-line no-control-regex
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface EscapeCounter {
  /** characters replaced by U+FFFD because XML 1.0 cannot hold them */
  replaced: number;
}

function clean(s: string, counter?: EscapeCounter): string {
  NOT_XML.lastIndex = 0;
  if (!NOT_XML.test(s)) return s;
  return s.replace(NOT_XML, () => {
    if (counter) counter.replaced++;
    return '\uFFFD';
  });
}

/** Text content: & and < always, > too (so "]]>" never appears). */
export function escapeText(s: string, counter?: EscapeCounter): string {
  return clean(s, counter).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Attribute values in double quotes: also the quote, and tab, newline and carriage return as
 * character references (a parser would otherwise normalise them to spaces).
 */
export function escapeAttribute(s: string, counter?: EscapeCounter): string {
  return clean(s, counter).replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Attributes = ReadonlyArray<readonly [string, string | number | boolean | undefined]>;

/**
 * Writes elements to a sink in pieces of about 64 KiB. Attributes whose value is undefined are
 * left out. Names are the caller's constants, never data: they are not checked.
 */
export class XmlWriter {
  private buffer: string[] = [];
  private size = 0;
  private readonly stack: string[] = [];
  readonly counter: EscapeCounter = { replaced: 0 };

  /** `base`: the depth the first element sits at (a fragment written for a larger document) */
  constructor(
    private readonly sink: (chunk: string) => void,
    private readonly base = 0,
  ) {}

  /** the depth of the next element */
  get depth(): number {
    return this.base + this.stack.length;
  }

  raw(text: string): this {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size > 65_536) this.flush();
    return this;
  }

  private indent(): string {
    return '  '.repeat(this.base + this.stack.length);
  }

  private attrs(attributes: Attributes): string {
    let out = '';
    for (const [k, v] of attributes) if (v !== undefined) out += ` ${k}="${escapeAttribute(String(v), this.counter)}"`;
    return out;
  }

  open(name: string, attributes: Attributes = []): this {
    this.raw(`${this.indent()}<${name}${this.attrs(attributes)}>\n`);
    this.stack.push(name);
    return this;
  }

  close(): this {
    const name = this.stack.pop();
    if (name === undefined) throw new Error('XmlWriter: close() without open()');
    return this.raw(`${this.indent()}</${name}>\n`);
  }

  /** <name a="1">text</name>, or <name a="1" /> without text */
  leaf(name: string, attributes: Attributes = [], text?: string): this {
    if (text === undefined || text === '') return this.raw(`${this.indent()}<${name}${this.attrs(attributes)} />\n`);
    return this.raw(`${this.indent()}<${name}${this.attrs(attributes)}>${escapeText(text, this.counter)}</${name}>\n`);
  }

  comment(text: string): this {
    // "--" may not appear in a comment
    return this.raw(`${this.indent()}<!-- ${escapeText(text, this.counter).replace(/--/g, '- -')} -->\n`);
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.sink(this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  end(): void {
    if (this.stack.length > 0) throw new Error(`XmlWriter: <${this.stack.at(-1)}> not closed`);
    this.flush();
  }
}
