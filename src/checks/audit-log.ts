/**
 * `--audit-log FILE`: every request a check sends, one JSON line each, written synchronously as
 * it is sent (a crash or kill still leaves the record of what reached the plant). What a line is:
 *   {"t":"2026-11-25T10:00:00.123Z","target":"modbus://127.0.0.1:502?unit=1","protocol":"modbus",
 *    "request":"read holding registers","detail":{"function":3,"address":0,"quantity":1,"unit":1}}
 * Requests are logged at the level the protocol defines them: a TCP connection, an MQTT control
 * packet, a Modbus PDU, an OPC UA service request. Passwords are never logged (an MQTT CONNECT
 * says whether a password was sent, not which).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { usageError } from '../core/errors.js';

export interface AuditEntry {
  target: string;
  protocol: string;
  request: string;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** requests recorded so far */
  count(): number;
  close(): void;
}

/** A log that counts but writes nothing (no --audit-log). */
export function nullAuditLog(): AuditLog {
  let n = 0;
  return { record: () => void n++, count: () => n, close: () => {} };
}

export function openAuditLog(file: string): AuditLog {
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch (err) {
    throw usageError(
      `--audit-log ${file}: cannot open for writing: ${(err as Error).message.split('\n')[0]}`,
      'check the folder exists and may be written',
    );
  }
  let n = 0;
  let closed = false;
  return {
    record(entry) {
      n++;
      if (closed) return;
      const line = JSON.stringify({
        t: new Date().toISOString(),
        ...entry,
        ...(entry.detail === undefined ? {} : { detail: entry.detail }),
      });
      writeSync(fd, `${line}\n`);
    },
    count: () => n,
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
