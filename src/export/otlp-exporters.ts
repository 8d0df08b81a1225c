import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './otlp-protocol.js';

/** Which official exporter, and where to, for one signal. @internal */
export interface OtlpExporterChoice {
  protocol: OtlpProtocol;
  /**
   * The full URL (`…/v1/traces` over HTTP, `http://host:4317` over gRPC). Without it the
   * exporter reads OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT itself.
   */
  url?: string;
}

/**
 * The official OTLP span exporter of a protocol. Headers, compression, timeout and
 * certificates come from the standard variables, which the exporter reads itself. @internal
 */
export function createOtlpSpanExporter({ protocol, url }: OtlpExporterChoice): SpanExporter {
  const config = url === undefined ? undefined : { url };
  if (protocol === 'grpc') return new GrpcTraceExporter(config);
  if (protocol === 'http/json') return new JsonTraceExporter(config);
  return new ProtoTraceExporter(config);
}

/** The official OTLP log record exporter of a protocol; configured as {@link createOtlpSpanExporter}. @internal */
export function createOtlpLogExporter({ protocol, url }: OtlpExporterChoice): LogRecordExporter {
  const config = url === undefined ? undefined : { url };
  if (protocol === 'grpc') return new GrpcLogExporter(config);
  if (protocol === 'http/json') return new JsonLogExporter(config);
  return new ProtoLogExporter(config);
}

/**
 * A signal's URL from a base endpoint, as the specification builds it: over HTTP the
 * signal's path is appended (`/v1/traces`, `/v1/logs`); over gRPC the endpoint is the URL.
 * @internal
 */
export function signalUrl(endpoint: string, protocol: OtlpProtocol, signal: 'traces' | 'logs'): string {
  const base = endpoint.replace(/\/+$/, '');
  return protocol === 'grpc' ? base : `${base}/v1/${signal}`;
}
