import type { Attributes } from '@opentelemetry/api';

const MAX_KEY_LENGTH = 128;
const MAX_STRING_LENGTH = 1024;
const MAX_ENTRIES = 64;

const SENSITIVE_PATTERNS: readonly RegExp[] = [
  /^[^\s@]{1,64}@[^\s@]{1,255}\.[a-z]{2,}$/i, // e-mail address
  /^(bearer|basic|token)\s+\S+/i, // authorization header value
  /^eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*$/, // JSON Web Token
  /^(sk|pk|rk)[-_](live|test|proj|ant)?[-_]?[\w-]{16,}$/, // Stripe / OpenAI / Anthropic style keys
  /^(ghp|gho|ghu|ghs|github_pat|glpat|xox[abpr])[-_][\w-]{16,}$/, // GitHub, GitLab, Slack tokens
  /^AKIA[0-9A-Z]{16}$/, // AWS access key ID
];

/** Whether a metadata value looks like a secret or personal data: a token, key or e-mail address. */
export function looksSensitive(value: string): boolean {
  return SENSITIVE_PATTERNS.some((pattern) => pattern.test(value));
}

/** Options of {@link metadataAttributes}. */
export interface MetadataAttributeOptions {
  /** Refuse values that look like tokens, API keys or e-mail addresses. */
  refuseSensitive: boolean;
  /** Told once per refused key, with why. */
  warn: (key: string, reason: string) => void;
}

/**
 * Turns metadata into span attributes under `prefix`: strings, finite numbers and booleans
 * are kept (strings cut at 1,024 characters, at most 64 entries); any other value, and
 * any value that looks sensitive, is refused with one warning naming its key.
 */
export function metadataAttributes(
  prefix: string,
  metadata: Record<string, unknown>,
  options: MetadataAttributeOptions,
): Attributes {
  const attributes: Attributes = {};
  let count = 0;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      options.warn(key.slice(0, 32), `metadata keys must be 1 to ${MAX_KEY_LENGTH} characters`);
    } else if (count >= MAX_ENTRIES) {
      options.warn(key, `only the first ${MAX_ENTRIES} metadata entries become attributes`);
    } else if (typeof value === 'string') {
      if (options.refuseSensitive && looksSensitive(value)) {
        options.warn(key, 'its value looks like a token, key or e-mail address, which metadata must not hold');
      } else {
        attributes[prefix + key] = value.length > MAX_STRING_LENGTH ? value.slice(0, MAX_STRING_LENGTH) : value;
        count++;
      }
    } else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') {
      attributes[prefix + key] = value;
      count++;
    } else if (value !== undefined) {
      options.warn(key, 'only strings, numbers and booleans become attributes');
    }
  }
  return attributes;
}
