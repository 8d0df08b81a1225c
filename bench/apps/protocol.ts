/**
 * The messages between the load benchmarks (bench/http-load.ts, bench/adopter.ts) and the
 * processes they fork (bench/apps/*): each child says `ready` with its port once it listens,
 * answers `flush`, `counts` (the sink) and `usage` (the servers), and exits when told to
 * `stop` or when its parent goes away.
 */

/** What one variant's spans and log records looked like at the OTLP sink. */
export interface SinkCounts {
  /** OTLP export requests received (traces and logs). */
  requests: number;
  /** Spans received (`"spanId"` keys in trace payloads). */
  spans: number;
  /** Spans' `session.id` attribute keys in trace payloads. */
  sessionIds: number;
  /** Log records received. */
  logRecords: number;
}

export type ParentMessage =
  { type: 'flush'; id: number } | { type: 'counts'; id: number } | { type: 'usage'; id: number } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'flushed'; id: number; error?: string }
  | { type: 'counts'; id: number; counts: Record<string, SinkCounts> }
  /** CPU time of the process so far (`process.cpuUsage()`, user + system, µs) and requests it has served. */
  | { type: 'usage'; id: number; cpuMicros: number; requests: number };

/** Sends `message` to the parent (a no-op when there is no IPC channel). */
export function tell(message: ChildMessage): void {
  process.send?.(message);
}

/** Calls `handler` for each message from the parent, and exits when the parent goes away. */
export function onParentMessage(handler: (message: ParentMessage) => void): void {
  process.on('message', (message) => handler(message as ParentMessage));
  process.on('disconnect', () => process.exit(0));
}
