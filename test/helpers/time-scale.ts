/**
 * How much longer than usual the hang guards of this run allow (test timeouts, the SIGKILL of a
 * child process that never ends): $IIOT_TEST_TIME_SCALE, 1 by default; scripts/test-busy.sh sets
 * 4. A slower machine needs more time, never a different result: nothing asserts on time.
 */
export const TIME_SCALE = Math.max(1, Number(process.env.IIOT_TEST_TIME_SCALE) || 1);

export function scaled(ms: number): number {
  return ms * TIME_SCALE;
}
