import type { ExportResult } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
  type IExporterMetricsHelper,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from './otlp-protocol.js';

/** How a batch is encoded on the wire (and in the spool): OTLP protobuf or OTLP JSON. @internal */
export type OtlpEncoding = 'protobuf' | 'json';

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
 * An official OTLP exporter whose encoding of a batch can be had before the export, and
 * reused by it: the spool writes those very bytes to disk, and the exporter sends them
 * without encoding the batch a second time. A batch read back from disk is sent as the
 * bytes it is, without being decoded.
 * @internal
 */
export interface EncodingExporter<T> {
  readonly protocol: OtlpProtocol;
  readonly encoding: OtlpEncoding;
  /** The request bytes of `items`, as the exporter will send them. */
  encode(items: T[]): Uint8Array;
  /** A stand-in batch of `count` items whose export sends `bytes` as they are. */
  encoded(bytes: Uint8Array, count: number): T[];
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The official serializer of an encoding, remembering what it encoded for the spool: an
 * export of a batch the spool already encoded sends those bytes instead of encoding again.
 */
class SharedSerializer<T> implements ISerializer<T[], unknown> {
  private readonly done = new WeakMap<T[], Uint8Array>();
  constructor(private readonly official: ISerializer<T[], unknown>) {}
  encode(items: T[]): Uint8Array {
    const bytes = this.official.serializeRequest(items) ?? new Uint8Array();
    this.done.set(items, bytes);
    return bytes;
  }
  encoded(bytes: Uint8Array, count: number): T[] {
    // Only its length is read (the exporter's own metrics count the items).
    const standIn = new Array<T>(count);
    this.done.set(standIn, bytes);
    return standIn;
  }
  serializeRequest(items: T[]): Uint8Array | undefined {
    return this.done.get(items) ?? this.official.serializeRequest(items);
  }
  deserializeResponse(data: Uint8Array): unknown {
    return this.official.deserializeResponse(data);
  }
}

interface Signal<T> {
  identifier: 'TRACES' | 'LOGS';
  path: string;
  protobuf: ISerializer<T[], unknown>;
  json: ISerializer<T[], unknown>;
  metrics: IExporterMetricsHelper<T[]>;
  grpcName: string;
  grpcPath: string;
  component: 'span' | 'log';
}

const TRACES: Signal<ReadableSpan> = {
  identifier: 'TRACES',
  path: 'v1/traces',
  protobuf: ProtobufTraceSerializer,
  json: JsonTraceSerializer,
  metrics: TraceExporterMetricsHelper,
  grpcName: 'TraceExportService',
  grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  component: 'span',
};

const LOGS: Signal<ReadableLogRecord> = {
  identifier: 'LOGS',
  path: 'v1/logs',
  protobuf: ProtobufLogsSerializer,
  json: JsonLogsSerializer,
  metrics: LogsExporterMetricsHelper,
  grpcName: 'LogsExportService',
  grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  component: 'log',
};

/**
 * The official OTLP exporter of a protocol, assembled as `@opentelemetry/exporter-*-otlp-*`
 * assemble theirs (the same configuration, transport, retries and serializers, from
 * `@opentelemetry/otlp-exporter-base` and `@opentelemetry/otlp-grpc-exporter-base`), with a
 * serializer that shares its encoding with the spool. Headers, compression, timeout and
 * certificates come from the standard variables, which the configuration reads itself.
 */
function createExporter<T>(signal: Signal<T>, { protocol, url }: OtlpExporterChoice): EncodingExporter<T> {
  const config = url === undefined ? {} : { url };
  const encoding: OtlpEncoding = protocol === 'http/json' ? 'json' : 'protobuf';
  const serializer = new SharedSerializer(encoding === 'json' ? signal.json : signal.protobuf);
  const delegate =
    protocol === 'grpc'
      ? createOtlpGrpcExportDelegate(
          convertLegacyOtlpGrpcOptions(config, signal.identifier),
          serializer,
          `otlp_grpc_${signal.component}_exporter`,
          signal.metrics,
          undefined,
          signal.grpcName,
          signal.grpcPath,
        )
      : createOtlpHttpExportDelegate(
          convertLegacyHttpOptions(config, signal.identifier, signal.path, {
            'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
          }),
          serializer,
          `otlp_http_${signal.component}_exporter`,
          signal.metrics,
          undefined,
        );
  // The gRPC base may bring its own copy of otlp-exporter-base: the same delegate interface.
  const exporter = new OTLPExporterBase<T[]>(delegate);
  return {
    protocol,
    encoding,
    encode: (items) => serializer.encode(items),
    encoded: (bytes, count) => serializer.encoded(bytes, count),
    export: (items, resultCallback) => exporter.export(items, resultCallback),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
}

/** The official OTLP span exporter of a protocol (`http/protobuf`, `http/json`, `grpc`). @internal */
export function createOtlpSpanExporter(choice: OtlpExporterChoice): EncodingExporter<ReadableSpan> {
  return createExporter(TRACES, choice);
}

/** The official OTLP log record exporter of a protocol. @internal */
export function createOtlpLogExporter(choice: OtlpExporterChoice): EncodingExporter<ReadableLogRecord> {
  return createExporter(LOGS, choice);
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
