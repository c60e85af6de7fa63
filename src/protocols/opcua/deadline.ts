/**
 * Bounded waiting for OPC UA calls: the one shared rule lives in src/core/deadline.ts (a device is
 * charged only for time iiot could have read its answer). node-opcua's own timeouts do not cover
 * everything (a TCP connect to a host that drops packets waits for the operating system, minutes):
 * every network wait goes through it, so a dead host costs at most the --timeout the user gave,
 * plus whatever time iiot itself was busy.
 */
export { DeadlineError, withDeadline } from '../../core/deadline.js';
