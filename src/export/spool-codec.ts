import type { ExportResult } from '@opentelemetry/core';
import type { ISerializer } from '@opentelemetry/otlp-transformer';
import type { EncodingExporter, OtlpEncoding } from './otlp-exporters.js';

/** How a spool turns its items into bytes on disk and back. @internal */
export interface SpoolCodec<T> {
  /** Plural noun for messages: 'spans', 'log records'. */
  readonly what: string;
  /** The variable that turns this signal's export off, for messages (OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER). */
  readonly exporterVariable: string;
  /** The encoding `encode` writes. */
  readonly encoding: OtlpEncoding;
  encode(items: T[]): Uint8Array;
  /**
   * What the spool holds in memory for a batch until it is sent: for the official exporters, a
   * stand-in that sends `bytes` as they are, so that the batch's spans or records are
   * collected at once rather than kept alive through the send (long enough for V8 to start
   * allocating their kind straight into the old generation); for any other exporter, the
   * items themselves.
   */
  held(items: T[], bytes: Uint8Array): T[];
  /**
   * A batch read back from disk, ready for the wrapped exporter; `undefined` when this
   * exporter cannot send that encoding (a protobuf batch for a generic exporter).
   */
  readBack(bytes: Uint8Array, encoding: OtlpEncoding, count: number): T[] | undefined;
}

/** A signal, as the spool names it in messages. @internal */
export interface SpoolSignal {
  what: string;
  exporterVariable: string;
}

/** Spans, as the spool names them. @internal */
export const SPANS: SpoolSignal = { what: 'spans', exporterVariable: 'OTEL_TRACES_EXPORTER' };
/** Log records, as the spool names them. @internal */
export const LOG_RECORDS: SpoolSignal = { what: 'log records', exporterVariable: 'OTEL_LOGS_EXPORTER' };

/** Any exporter of items `T`. */
interface AnyExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
}

function isEncoding<T>(exporter: AnyExporter<T>): exporter is AnyExporter<T> & EncodingExporter<T> {
  const candidate = exporter as Partial<EncodingExporter<T>>;
  return typeof candidate.encode === 'function' && typeof candidate.encoded === 'function';
}

/**
 * The codec of a spool in front of `exporter`. In front of the official OTLP exporters built
 * here, the spool writes the very bytes the exporter sends (one encoding per batch, not two)
 * and sends what it reads back as it is. In front of any other exporter, it writes OTLP JSON
 * with the official serializer and decodes it back to items. @internal
 */
export function spoolCodec<T>(
  { what, exporterVariable }: SpoolSignal,
  exporter: AnyExporter<T>,
  json: ISerializer<T[], unknown>,
  decodeJson: (bytes: Uint8Array) => T[],
): SpoolCodec<T> {
  const shared = isEncoding(exporter) ? exporter : undefined;
  return {
    what,
    exporterVariable,
    encoding: shared?.encoding ?? 'json',
    encode: shared ? (items) => shared.encode(items) : (items) => json.serializeRequest(items) ?? new Uint8Array(),
    held: shared ? (items, bytes) => shared.encoded(bytes, items.length) : (items) => items,
    readBack: (bytes, encoding, count) => {
      if (shared !== undefined && shared.encoding === encoding) return shared.encoded(bytes, count);
      return encoding === 'json' ? decodeJson(bytes) : undefined;
    },
  };
}
