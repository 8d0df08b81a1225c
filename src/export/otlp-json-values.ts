import type { AnyValue, Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/* The OTLP-JSON shapes that `@opentelemetry/otlp-transformer`'s JSON serializers write. */

/** One attribute. @internal */
export interface OtlpJsonKeyValue {
  key: string;
  value?: OtlpJsonAnyValue;
}
/** A value of any OTLP type. @internal */
export interface OtlpJsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpJsonAnyValue[] };
  kvlistValue?: { values?: OtlpJsonKeyValue[] };
}
/** A resource. @internal */
export interface OtlpJsonResource {
  attributes?: OtlpJsonKeyValue[];
  droppedAttributesCount?: number;
}
/** An instrumentation scope. @internal */
export interface OtlpJsonScope {
  name?: string;
  version?: string;
  attributes?: OtlpJsonKeyValue[];
  droppedAttributesCount?: number;
}

/** 8 bits of W3C trace flags; bit 8 says whether bit 9 (the parent is remote) is known. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** An OTLP value back to the API's `AnyValue`. @internal */
export function toAnyValue(value: OtlpJsonAnyValue | undefined): AnyValue {
  if (value === undefined || value === null) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return Uint8Array.from(Buffer.from(value.bytesValue, 'base64'));
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toAnyValue);
  if (value.kvlistValue !== undefined) {
    const map: Record<string, AnyValue> = {};
    for (const entry of value.kvlistValue.values ?? []) map[entry.key] = toAnyValue(entry.value);
    return map;
  }
  return undefined;
}

/** OTLP attributes back to the API's `Attributes` (arrays of scalars, as attributes hold). @internal */
export function toAttributes(list: OtlpJsonKeyValue[] | undefined): Attributes {
  const attributes: Attributes = {};
  for (const entry of list ?? []) attributes[entry.key] = toAnyValue(entry.value);
  return attributes;
}

/** Nanoseconds since the epoch, as the serializer writes them (a decimal string), to `HrTime`. @internal */
export function toHrTime(nanos: string | number | undefined): HrTime {
  if (nanos === undefined) return [0, 0];
  const total = BigInt(nanos);
  return [Number(total / 1_000_000_000n), Number(total % 1_000_000_000n)];
}

/** The span context of an ID pair, with the flags and trace state of the OTLP record. @internal */
export function toSpanContext(
  traceId: string,
  spanId: string,
  flags: number | undefined,
  traceState: string | undefined,
): SpanContext {
  const context: SpanContext = { traceId, spanId, traceFlags: (flags ?? 1) & 0xff };
  if ((flags ?? 0) & HAS_IS_REMOTE) context.isRemote = ((flags ?? 0) & IS_REMOTE) !== 0;
  if (traceState) context.traceState = new TraceState(traceState);
  return context;
}

/**
 * Shares one `Resource` and one scope object per distinct OTLP resource and scope of a
 * decoded batch: the serializers group records by object identity.
 * @internal
 */
export function toResource(resource: OtlpJsonResource | undefined, schemaUrl: string | undefined): Resource {
  return resourceFromAttributes(toAttributes(resource?.attributes), schemaUrl ? { schemaUrl } : undefined);
}

/** An OTLP scope back to an `InstrumentationScope`. @internal */
export function toScope(scope: OtlpJsonScope | undefined, schemaUrl: string | undefined): InstrumentationScope {
  return {
    name: scope?.name ?? '',
    ...(scope?.version ? { version: scope.version } : {}),
    ...(schemaUrl ? { schemaUrl } : {}),
  };
}

/** The duration between two `HrTime`s. @internal */
export function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1_000_000_000;
  }
  return [seconds, nanos];
}
