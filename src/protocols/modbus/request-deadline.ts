/**
 * modbus-serial requests bounded by iiot's deadline (src/core/deadline.ts) instead of
 * modbus-serial's own timer. Its timer (client.setTimeout) is a plain setTimeout started when the
 * request is written: when iiot's event loop is busy past it (loading another protocol library,
 * a CPU shared with other programs), it fires before the answer that is already waiting in the
 * socket or serial buffer is read, and a healthy device is reported silent. So every client
 * switches that timer off (`libraryTimerOff`) and bounds each request with `answerWithin`, called
 * right where modbus-serial writes the request.
 */
import { withDeadline } from '../../core/deadline.js';

/** No answer in time; looks like modbus-serial's own timeout error to the code classifying it. */
export class RequestTimedOut extends Error {
  readonly errno = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`Timed out: no answer within ${ms} ms`);
    this.name = 'TransactionTimedOutError';
  }
}

/** modbus-serial's request timer off (0: none); pair with answerWithin on every request. */
export function libraryTimerOff(client: { setTimeout(ms: number): void }): void {
  client.setTimeout(0);
}

/** The request's answer, or a RequestTimedOut once the device has had `ms`. */
export function answerWithin<T>(request: Promise<T>, ms: number): Promise<T> {
  return withDeadline(
    request,
    ms,
    () => undefined,
    () => new RequestTimedOut(ms),
  );
}
