/**
 * The command examples of a Markdown file: every line of a fenced code block whose language is
 * empty or a shell (sh, bash, shell, console, zsh), with `\` continuations joined, a `$ ` prompt
 * and trailing `# comments` removed, split into words the way a POSIX shell would (single and
 * double quotes, backslash escapes; no expansion: an example that needs one is not an example a
 * user can paste), and leading VAR=value assignments taken out as environment.
 */

export interface Example {
  /** 1-based line of the Markdown file where the command starts */
  line: number;
  /** the command as written (continuations joined, comment removed) */
  text: string;
  argv: string[];
  env: Record<string, string>;
}

const SHELL_LANGUAGES = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh']);

export function parseExamples(markdown: string): Example[] {
  const lines = markdown.split(/\r?\n/);
  const out: Example[] = [];
  let fence: { marker: string; shell: boolean } | undefined;
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    const open = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(raw);
    if (!fence) {
      if (open) fence = { marker: open[1]!, shell: SHELL_LANGUAGES.has(open[2]!.toLowerCase()) };
      return;
    }
    if (raw.trim().startsWith(fence.marker) && raw.trim().replace(/[`~]/g, '') === '') {
      if (pending) throw new Error(`line ${pending.line}: a command ends with \\ at the end of its code block`);
      fence = undefined;
      return;
    }
    if (!fence.shell) return;
    let text = raw;
    if (pending) text = `${pending.text} ${text.trim()}`;
    else if (text.trim() === '' || text.trim().startsWith('#')) return;
    const start = pending?.line ?? i + 1;
    pending = undefined;
    const command = stripComment(text.trim().replace(/^\$\s+/, ''));
    if (command.endsWith('\\')) {
      pending = { line: start, text: command.slice(0, -1).trimEnd() };
      return;
    }
    const words = splitWords(command, start);
    const env: Record<string, string> = {};
    while (words.length > 1 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
      const w = words.shift()!;
      env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
    }
    out.push({ line: start, text: command, argv: words, env });
  });
  if (fence) throw new Error('a code block is not closed');
  return out;
}

/** The command without a trailing `# comment` (a # inside quotes or a word is not one). */
export function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i).trimEnd();
  }
  return text;
}

export function splitWords(text: string, line = 0): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && /["\\$`]/.test(text[i + 1] ?? '')) word += text[++i]!;
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\') word += text[++i] ?? '';
      else if (/[|&;<>()$`]/.test(c)) throw new Error(`line ${line}: "${text}" uses the shell (${c}); a README example is one command`);
      else word += c;
    }
  }
  if (quote) throw new Error(`line ${line}: unbalanced quote in "${text}"`);
  if (inWord) words.push(word);
  return words;
}
