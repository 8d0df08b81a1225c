import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  toAnyValue,
  toAttributes,
  toHrTime,
  toResource,
  toScope,
  toSpanContext,
  type OtlpJsonAnyValue,
  type OtlpJsonKeyValue,
  type OtlpJsonResource,
  type OtlpJsonScope,
} from './otlp-json-values.js';

interface OtlpJsonLogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  severityNumber?: number;
  severityText?: string;
  body?: OtlpJsonAnyValue;
  eventName?: string;
  attributes?: OtlpJsonKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
}

interface OtlpJsonLogs {
  resourceLogs?: {
    resource?: OtlpJsonResource;
    schemaUrl?: string;
    scopeLogs?: { scope?: OtlpJsonScope; schemaUrl?: string; logRecords?: OtlpJsonLogRecord[] }[];
  }[];
}

/**
 * Reads back an OTLP-JSON logs request, as `JsonLogsSerializer.serializeRequest` wrote it,
 * as `ReadableLogRecord`s that any log record exporter can send: one shared resource and
 * scope object per resource and scope of the request. Throws on bytes that are not such a request.
 */
export function decodeOtlpJsonLogs(bytes: Uint8Array): ReadableLogRecord[] {
  const request = JSON.parse(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  ) as OtlpJsonLogs;
  if (typeof request !== 'object' || request === null || !Array.isArray(request.resourceLogs)) {
    throw new TypeError('not an OTLP-JSON logs request');
  }
  const records: ReadableLogRecord[] = [];
  for (const resourceLogs of request.resourceLogs) {
    const resource = toResource(resourceLogs.resource, resourceLogs.schemaUrl);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      const scope = toScope(scopeLogs.scope, scopeLogs.schemaUrl);
      for (const record of scopeLogs.logRecords ?? []) {
        const decoded: {
          -readonly [K in keyof ReadableLogRecord]: ReadableLogRecord[K];
        } = {
          hrTime: toHrTime(record.timeUnixNano),
          hrTimeObserved: toHrTime(record.observedTimeUnixNano),
          resource,
          instrumentationScope: scope,
          attributes: toAttributes(record.attributes),
          droppedAttributesCount: record.droppedAttributesCount ?? 0,
        };
        if (record.traceId && record.spanId) {
          decoded.spanContext = toSpanContext(record.traceId, record.spanId, record.flags ?? 0, undefined);
        }
        if (record.severityNumber !== undefined) decoded.severityNumber = record.severityNumber;
        if (record.severityText !== undefined) decoded.severityText = record.severityText;
        if (record.body !== undefined) decoded.body = toAnyValue(record.body);
        if (record.eventName) decoded.eventName = record.eventName;
        records.push(decoded);
      }
    }
  }
  return records;
}
