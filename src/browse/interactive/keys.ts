// The interactive OPC UA browser's keys, in one place: its bottom line shows KEY_LINE and
// `iiot browse --help` lists BROWSER_KEYS. A file of its own because the help is written when the
// command is registered: commands/browse.ts imports it statically (scripts/lint.ts lists it as
// light), which must not load ink or react.

/** The keys, as the bottom line shows them. */
export const KEY_LINE = '↑↓ move  → open  ← close  / search  n next  space mark  s save tags  c copy id  q quit  Ctrl-C exit';

/** Every key of the browser, for `iiot browse --help`. */
export const BROWSER_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['↑ ↓ (k j)', 'move; PgUp PgDn Home End jump'],
  ['→ (l), Enter', 'open a node (its children are loaded from the server when first opened)'],
  ['← (h)', 'close a node, or go to its parent'],
  ['/', 'search the server below the start node by name (substring, or a glob with * and ?)'],
  ['n', 'next match'],
  ['space', 'mark or unmark a variable'],
  ['s', 'save the marked variables as a tag list for iiot record --tags'],
  ['c', 'copy the node id (OSC 52: terminals that allow it put it on the clipboard)'],
  ['q, Esc', 'quit and print the node id under the cursor on stdout (exit 0)'],
  ['Ctrl-C', 'quit at once, printing nothing (exit 130)'],
];
