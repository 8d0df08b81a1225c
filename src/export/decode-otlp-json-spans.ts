import type { Link, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import {
  hrDuration,
  toAttributes,
  toHrTime,
  toResource,
  toScope,
  toSpanContext,
  type OtlpJsonKeyValue,
  type OtlpJsonResource,
  type OtlpJsonScope,
} from './otlp-json-values.js';

interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpJsonKeyValue[];
  droppedAttributesCount?: number;
  events?: {
    timeUnixNano: string | number;
    name: string;
    attributes?: OtlpJsonKeyValue[];
    droppedAttributesCount?: number;
  }[];
  droppedEventsCount?: number;
  status?: { code?: number; message?: string };
  links?: {
    traceId: string;
    spanId: string;
    traceState?: string;
    attributes?: OtlpJsonKeyValue[];
    droppedAttributesCount?: number;
    flags?: number;
  }[];
  droppedLinksCount?: number;
}

interface OtlpJsonTraces {
  resourceSpans?: {
    resource?: OtlpJsonResource;
    schemaUrl?: string;
    scopeSpans?: { scope?: OtlpJsonScope; schemaUrl?: string; spans?: OtlpJsonSpan[] }[];
  }[];
}

/**
 * Reads back an OTLP-JSON traces request, as `JsonTraceSerializer.serializeRequest` wrote
 * it, as `ReadableSpan`s that any span exporter can send: one shared resource and scope
 * object per resource and scope of the request. Throws on bytes that are not such a request.
 */
export function decodeOtlpJsonSpans(bytes: Uint8Array): ReadableSpan[] {
  const request = JSON.parse(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  ) as OtlpJsonTraces;
  if (typeof request !== 'object' || request === null || !Array.isArray(request.resourceSpans)) {
    throw new TypeError('not an OTLP-JSON traces request');
  }
  const spans: ReadableSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = toResource(resourceSpans.resource, resourceSpans.schemaUrl);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = toScope(scopeSpans.scope, scopeSpans.schemaUrl);
      for (const span of scopeSpans.spans ?? []) {
        const startTime = toHrTime(span.startTimeUnixNano);
        const endTime = toHrTime(span.endTimeUnixNano);
        const context = toSpanContext(span.traceId, span.spanId, span.flags, span.traceState);
        const flags = span.flags ?? 0;
        const parentSpanContext =
          span.parentSpanId && !/^0*$/.test(span.parentSpanId)
            ? {
                traceId: span.traceId,
                spanId: span.parentSpanId,
                traceFlags: context.traceFlags,
                ...(flags & 0x100 ? { isRemote: (flags & 0x200) !== 0 } : {}),
              }
            : undefined;
        const events: TimedEvent[] = (span.events ?? []).map((event) => ({
          name: event.name,
          time: toHrTime(event.timeUnixNano),
          attributes: toAttributes(event.attributes),
          droppedAttributesCount: event.droppedAttributesCount ?? 0,
        }));
        const links: Link[] = (span.links ?? []).map((link) => ({
          context: toSpanContext(link.traceId, link.spanId, link.flags, link.traceState),
          attributes: toAttributes(link.attributes),
          droppedAttributesCount: link.droppedAttributesCount ?? 0,
        }));
        const status = span.status?.message
          ? { code: (span.status.code ?? 0) as SpanStatusCode, message: span.status.message }
          : { code: (span.status?.code ?? 0) as SpanStatusCode };
        spans.push({
          name: span.name,
          // OTLP counts kinds from 1 (0 is unspecified); the API from 0.
          kind: Math.max(0, (span.kind ?? 1) - 1),
          spanContext: () => context,
          ...(parentSpanContext ? { parentSpanContext } : {}),
          startTime,
          endTime,
          status,
          attributes: toAttributes(span.attributes),
          links,
          events,
          duration: hrDuration(startTime, endTime),
          ended: true,
          resource,
          instrumentationScope: scope,
          droppedAttributesCount: span.droppedAttributesCount ?? 0,
          droppedEventsCount: span.droppedEventsCount ?? 0,
          droppedLinksCount: span.droppedLinksCount ?? 0,
        });
      }
    }
  }
  return spans;
}
