/**
 * The sink of bench/export.ts: an OTLP/HTTP endpoint and an OTLP/gRPC endpoint (a bare
 * `@grpc/grpc-js` server) that accept every export at once and count requests and bytes,
 * so that what the exporters send costs their own process only. Says
 * `{ type: 'ready', httpPort, grpcPort }` once both listen; answers `{ type: 'counts' }`.
 */
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const counts = { http: 0, grpc: 0, bytes: 0 };

const http = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
  request.on('end', () => {
    counts.http++;
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' }).end();
  });
});

const raw = {
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
};
const grpc = new Server();
grpc.addService(
  {
    Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', originalName: 'Export', ...raw },
  } as ServiceDefinition,
  {
    Export: (call: { request: Buffer }, callback: (error: null, response: Buffer) => void) => {
      counts.grpc++;
      counts.bytes += call.request.length;
      // An empty ExportTraceServiceResponse: full success.
      callback(null, Buffer.alloc(0));
    },
  } as UntypedServiceImplementation,
);

http.listen(0, '127.0.0.1', () => {
  grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, grpcPort) => {
    if (error) throw error;
    process.send?.({ type: 'ready', httpPort: (http.address() as AddressInfo).port, grpcPort });
  });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'counts') process.send?.({ type: 'counts', counts: { ...counts } });
});
process.on('disconnect', () => process.exit(0));
