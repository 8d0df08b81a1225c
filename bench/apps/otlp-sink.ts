/**
 * The OTLP/HTTP sink of bench/http-load.ts: answers 200 `{}` to every export and counts, per
 * variant (the first path segment, e.g. /bare-otel/v1/traces), the requests, spans, spans'
 * `session.id` keys and log records it got — so that both telemetry variants pay the same
 * export path (serialise, POST over loopback) and the bench can check what arrived. A variant
 * whose segment contains `traces-only` gets 404 for log records, as Jaeger answers them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onParentMessage, tell, type SinkCounts } from './protocol.js';

const counts: Record<string, SinkCounts> = {};

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) n++;
  return n;
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const path = request.url ?? '/';
    const variant = path.split('/')[1] ?? '';
    const entry = (counts[variant] ??= { requests: 0, spans: 0, sessionIds: 0, logRecords: 0 });
    entry.requests++;
    const body = Buffer.concat(chunks).toString('utf8');
    if (path.endsWith('/v1/traces')) {
      entry.spans += occurrences(body, '"spanId"');
      entry.sessionIds += occurrences(body, '"key":"session.id"');
    } else if (path.endsWith('/v1/logs')) {
      if (variant.includes('traces-only')) {
        response.writeHead(404).end();
        return;
      }
      entry.logRecords += occurrences(body, '"timeUnixNano"');
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => tell({ type: 'ready', port: (server.address() as AddressInfo).port }));
onParentMessage((message) => {
  if (message.type === 'counts') tell({ type: 'counts', id: message.id, counts: structuredClone(counts) });
  if (message.type === 'stop') process.exit(0);
});
