/**
 * Every OPC UA service request bounded by iiot's deadline (src/core/deadline.ts) instead of
 * node-opcua's request timer. node-opcua arms a plain setTimeout of the request's timeoutHint
 * (defaultTransactionTimeout) for each request: when iiot's event loop is busy past it (crawling a
 * large subtree, another source's library loading, a CPU shared with other programs) the timer
 * fires before the response already waiting in the socket is read, and the server is blamed with
 * "Transaction has timed out". That timer cannot be made to re-check, and it uses the same
 * timeoutHint that goes to the server, so: each request's hint is raised to a safety net behind
 * ours (behindOursMs; a server is only told it may take longer), and our deadline, armed as the
 * request is sent, fails it with node-opcua's own words when the server has had its time.
 *
 * PublishRequests are left alone: node-opcua gives them a hint of minutes (pending requests ×
 * keep-alive period), and a response that came after our deadline would be dropped with its
 * notifications in it.
 */
import type { OPCUAClient } from 'node-opcua-client';
import { behindOursMs, startDeadline } from '../../core/deadline.js';

type Callback = (err: Error | null, response?: unknown) => void;

interface ServiceRequest {
  constructor: { name: string };
  requestHeader?: { timeoutHint?: number };
}

interface Transactions {
  performMessageTransaction(request: ServiceRequest, callback: Callback): void;
}

/**
 * Installs the deadline on every request of `client` (sessions send through their client too).
 * `defaultMs` applies to requests that carry no timeoutHint of their own.
 */
export function guardRequests(client: OPCUAClient, defaultMs: number): void {
  const c = client as unknown as Transactions;
  const send = c.performMessageTransaction.bind(c);
  c.performMessageTransaction = (request, callback) => {
    const header = request.requestHeader;
    if (request.constructor.name === 'PublishRequest' || !header) {
      send(request, callback);
      return;
    }
    const ms = header.timeoutHint || defaultMs;
    header.timeoutHint = behindOursMs(ms);
    let settled = false;
    const deadline = startDeadline(ms, () => {
      if (settled) return;
      settled = true;
      callback(new Error(`Transaction has timed out ( timeout = ${ms} ms , request = ${request.constructor.name})`));
    });
    send(request, (err, response) => {
      deadline.cancel();
      if (settled) return;
      settled = true;
      callback(err, response);
    });
  };
}
