import type { Attributes } from '@opentelemetry/api';
import { sensitiveReason } from './sensitive-metadata.js';

const MAX_KEY_LENGTH = 128;
const MAX_STRING_LENGTH = 1024;
const MAX_ENTRIES = 64;

/** Whether a metadata value looks like a secret or personal data (see {@link sensitiveReason}). */
export function looksSensitive(value: string): boolean {
  return sensitiveReason('', value) !== undefined;
}

/** Names why a metadata entry must not be recorded, or returns `undefined` to record it. */
export type SensitiveMetadataCheck = (key: string, value: string) => string | undefined;

/** Options of {@link metadataAttributes}. */
export interface MetadataAttributeOptions {
  /**
   * Refuse entries whose key or value looks like a secret or personal data: `true` uses
   * {@link sensitiveReason}, `false` refuses nothing, and a function names the reason to
   * refuse an entry (numbers and booleans are given as strings) or returns `undefined`.
   */
  refuseSensitive: boolean | SensitiveMetadataCheck;
  /** Told once per refused key, with why. */
  warn: (key: string, reason: string) => void;
}

/**
 * Turns metadata into span attributes under `prefix`: strings, finite numbers and booleans
 * are kept (strings cut at 1,024 characters, at most 64 entries); any other value, and
 * any entry that looks sensitive, is refused with one warning naming its key and the
 * reason (a key that itself looks like a secret is not repeated in the warning).
 */
export function metadataAttributes(
  prefix: string,
  metadata: Record<string, unknown>,
  options: MetadataAttributeOptions,
): Attributes {
  const attributes: Attributes = {};
  const check = sensitiveCheck(options.refuseSensitive);
  let count = 0;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      options.warn(shownKey(key).slice(0, 32), `metadata keys must be 1 to ${MAX_KEY_LENGTH} characters`);
    } else if (count >= MAX_ENTRIES) {
      options.warn(shownKey(key), `only the first ${MAX_ENTRIES} metadata entries become attributes`);
    } else if (
      typeof value === 'string' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      typeof value === 'boolean'
    ) {
      const reason = check === undefined ? undefined : refusal(check, key, String(value));
      if (reason !== undefined) {
        options.warn(shownKey(key), `it looks sensitive (${reason}); metadata must not hold secrets or personal data`);
      } else {
        attributes[prefix + key] =
          typeof value === 'string' && value.length > MAX_STRING_LENGTH ? value.slice(0, MAX_STRING_LENGTH) : value;
        count++;
      }
    } else if (value !== undefined) {
      options.warn(shownKey(key), 'only strings, numbers and booleans become attributes');
    }
  }
  return attributes;
}

function sensitiveCheck(option: boolean | SensitiveMetadataCheck): SensitiveMetadataCheck | undefined {
  if (option === true) return sensitiveReason;
  return option === false ? undefined : option;
}

/** The reason to refuse, or `undefined`; a check that throws refuses (fails closed). */
function refusal(check: SensitiveMetadataCheck, key: string, value: string): string | undefined {
  try {
    const reason = check(key, value);
    return typeof reason === 'string' && reason.length > 0 ? reason : undefined;
  } catch {
    return 'the sensitive-metadata check threw';
  }
}

/** The key as a warning may name it: never a key that itself looks like a secret. */
function shownKey(key: string): string {
  return looksSensitive(key) ? '(a key that looks like a secret)' : key;
}
