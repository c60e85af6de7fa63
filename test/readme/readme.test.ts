import { describe, expect, it } from 'vitest';
import { parseExamples, splitWords, stripComment } from '../helpers/markdown-examples.js';

describe('README example parsing', () => {
  it('takes shell blocks line by line, joins continuations, drops prompts and comments, keeps quoted #', () => {
    const md = [
      '# Title',
      '',
      '```',
      'iiot sim                       # Ctrl-C stops it',
      '$ iiot record opc.tcp://127.0.0.1:4840 \\',
      '            mqtt://127.0.0.1:1883 --topic "plant/#" -o line3.jsonl.gz',
      '',
      '# a comment line',
      "IIOT_PASSWORD=secret iiot read mqtt://127.0.0.1:1883 'a b' c\\ d",
      '```',
      '',
      '```json',
      '{ "not": "a command" }',
      '```',
      '~~~bash',
      'npm test',
      '~~~',
    ].join('\n');
    const ex = parseExamples(md);
    expect(ex.map((e) => e.line)).toEqual([4, 5, 9, 16]);
    expect(ex[0]!.argv).toEqual(['iiot', 'sim']);
    expect(ex[1]!.argv).toEqual([
      'iiot',
      'record',
      'opc.tcp://127.0.0.1:4840',
      'mqtt://127.0.0.1:1883',
      '--topic',
      'plant/#',
      '-o',
      'line3.jsonl.gz',
    ]);
    expect(ex[2]!.env).toEqual({ IIOT_PASSWORD: 'secret' });
    expect(ex[2]!.argv).toEqual(['iiot', 'read', 'mqtt://127.0.0.1:1883', 'a b', 'c d']);
    expect(ex[3]!.argv).toEqual(['npm', 'test']);
  });

  it('refuses what a pasted command would not do as written', () => {
    expect(() => splitWords('iiot sim | tee log')).toThrow(/uses the shell \(\|\)/);
    expect(() => splitWords('iiot read "unclosed')).toThrow(/unbalanced quote/);
    expect(() => parseExamples('```\niiot sim \\\n```\n')).toThrow(/ends with \\/);
    expect(() => parseExamples('```\niiot sim\n')).toThrow(/not closed/);
    expect(stripComment('iiot x --topic "a/#" # note')).toBe('iiot x --topic "a/#"');
    expect(stripComment("iiot x 'a #b'")).toBe("iiot x 'a #b'");
  });
});
