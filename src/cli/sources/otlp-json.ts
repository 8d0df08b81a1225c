import type {
  OtlpJsonAnyValue as OtlpAnyValue,
  OtlpJsonKeyValue as OtlpKeyValue,
} from '../../export/otlp-json-values.js';
import { ATTR_SESSION_ID, ATTR_SESSION_REQUEST_ID } from '../../session/semconv.js';
import {
  withRequestSessionId,
  type FieldValue,
  type Fields,
  type LogEntry,
  type SpanEntry,
  type SpanEventEntry,
  type SpanStatus,
} from '../model.js';

/** Keeps only the records whose attribute `key` equals `value`. */
export interface RecordFilter {
  key: string;
  value: string;
}

/** What one journal line held, after filtering. */
export interface DecodedLine {
  spans: SpanEntry[];
  logs: LogEntry[];
}

/* The OTLP-JSON shapes read here: every field optional, since the line comes from a file. */
interface OtlpResource {
  attributes?: OtlpKeyValue[];
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: { name?: string; timeUnixNano?: string | number; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface OtlpLogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  severityNumber?: number | string;
  severityText?: string;
  body?: OtlpAnyValue;
  attributes?: OtlpKeyValue[];
  traceId?: string;
  spanId?: string;
}
interface OtlpLine {
  resourceSpans?: { resource?: OtlpResource; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
  resourceLogs?: { resource?: OtlpResource; scopeLogs?: { logRecords?: OtlpLogRecord[] }[] }[];
}

/**
 * Decodes one OTLP-JSON line (the collector file exporter's encoding, which the journal
 * writes) into spans and log records, keeping only those that match `filter`.
 * Returns `undefined` when the line is not readable OTLP JSON.
 */
export function decodeOtlpLine(line: string, filter?: RecordFilter): DecodedLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const otlp = parsed as OtlpLine;
  if (!Array.isArray(otlp.resourceSpans) && !Array.isArray(otlp.resourceLogs)) return undefined;
  const result: DecodedLine = { spans: [], logs: [] };
  try {
    for (const resourceSpans of otlp.resourceSpans ?? []) {
      const service = serviceName(resourceSpans.resource);
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          if (filter !== undefined && !hasAttribute(span.attributes, filter)) continue;
          result.spans.push(toSpan(span, service));
        }
      }
    }
    for (const resourceLogs of otlp.resourceLogs ?? []) {
      const service = serviceName(resourceLogs.resource);
      for (const scope of resourceLogs.scopeLogs ?? []) {
        for (const record of scope.logRecords ?? []) {
          if (filter !== undefined && !hasAttribute(record.attributes, filter)) continue;
          result.logs.push(toLog(record, service));
        }
      }
    }
  } catch {
    // Valid JSON of the wrong shape (a string where an array belongs, …).
    return undefined;
  }
  return result;
}

function hasAttribute(attributes: OtlpKeyValue[] | undefined, filter: RecordFilter): boolean {
  if (attributes === undefined) return false;
  // A request's session ID is `session.request_id` where a convention gave `session.id` to the thread.
  const alias = filter.key === ATTR_SESSION_ID ? ATTR_SESSION_REQUEST_ID : undefined;
  for (const attribute of attributes) {
    if ((attribute.key === filter.key || attribute.key === alias) && attribute.value?.stringValue === filter.value)
      return true;
  }
  return false;
}

function toSpan(span: OtlpSpan, service: string | undefined): SpanEntry {
  const parent = span.parentSpanId;
  const entry: SpanEntry = {
    traceId: span.traceId ?? '',
    spanId: span.spanId ?? '',
    name: span.name ?? '',
    startMs: nanosToMs(span.startTimeUnixNano),
    endMs: nanosToMs(span.endTimeUnixNano),
    status: toStatus(span.status?.code),
    attributes: withRequestSessionId(toFields(span.attributes)),
    events: (span.events ?? []).map((event): SpanEventEntry => ({
      name: event.name ?? '',
      timeMs: nanosToMs(event.timeUnixNano),
      attributes: toFields(event.attributes),
    })),
  };
  if (parent !== undefined && parent !== '' && !/^0+$/.test(parent)) entry.parentSpanId = parent;
  if (service !== undefined) entry.service = service;
  if (span.status?.message) entry.statusMessage = span.status.message;
  return entry;
}

function toLog(record: OtlpLogRecord, service: string | undefined): LogEntry {
  const time = nanosToMs(record.timeUnixNano);
  const entry: LogEntry = {
    timeMs: time > 0 ? time : nanosToMs(record.observedTimeUnixNano),
    level: record.severityText || severityName(Number(record.severityNumber ?? 0)),
    message: bodyText(record.body),
    fields: withRequestSessionId(toFields(record.attributes)),
  };
  if (record.traceId) entry.traceId = record.traceId;
  if (record.spanId) entry.spanId = record.spanId;
  if (service !== undefined) entry.service = service;
  return entry;
}

function serviceName(resource: OtlpResource | undefined): string | undefined {
  const attribute = resource?.attributes?.find((kv) => kv.key === 'service.name');
  return attribute?.value?.stringValue;
}

function toStatus(code: number | string | undefined): SpanStatus {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'ERROR';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'OK';
  return 'UNSET';
}

/** OTLP severity numbers 1-24 in bands of four. */
function severityName(severity: number): string {
  if (severity >= 21) return 'fatal';
  if (severity >= 17) return 'error';
  if (severity >= 13) return 'warn';
  if (severity >= 9) return 'info';
  if (severity >= 5) return 'debug';
  return severity >= 1 ? 'trace' : '';
}

function bodyText(body: OtlpAnyValue | undefined): string {
  if (body === undefined) return '';
  const value = toValue(body);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Nanoseconds since the epoch (a decimal string in OTLP JSON) to fractional milliseconds. */
export function nanosToMs(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  // Whole microseconds exactly, then to milliseconds: no float noise in the last digits.
  if (typeof nanos === 'string' && /^\d{1,30}$/.test(nanos)) return Number(BigInt(nanos) / 1000n) / 1000;
  const value = Number(nanos);
  return Number.isFinite(value) ? value / 1e6 : 0;
}

function toFields(attributes: OtlpKeyValue[] | undefined): Fields {
  const fields: Fields = {};
  for (const attribute of attributes ?? []) {
    if (attribute.key !== undefined) fields[attribute.key] = toValue(attribute.value);
  }
  return fields;
}

function toValue(value: OtlpAnyValue | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toValue);
  if (value.kvlistValue !== undefined) return toFields(value.kvlistValue.values);
  return null;
}
