/** Polls until `check` is true (no assertion on how long it takes; the test timeout bounds it). */
export async function waitFor(check: () => boolean | Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}
