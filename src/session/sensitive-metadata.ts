/**
 * Decides whether a metadata entry carries a secret or personal data, so that it never
 * becomes a span attribute. Pure and linear in the input: every pattern below either
 * starts at a fixed literal or scans one bounded character class, so no input can make
 * it backtrack badly, and only the first {@link MAX_CHECKED_LENGTH} characters are read.
 */

/** Characters of a key or value that are checked; the rest is never recorded anyway. */
const MAX_CHECKED_LENGTH = 4096;

/** Known key and token formats, each with the reason given when it is found anywhere in the text. */
const KNOWN_FORMATS: ReadonlyArray<readonly [RegExp, string]> = [
  [/-{3,}BEGIN [A-Z0-9 ]{1,40}/, 'looks like a PEM key or certificate block'],
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/, 'looks like a JSON Web Token'],
  [/(?<![A-Za-z0-9])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}/i, 'looks like a Stripe key'],
  [/(?<![A-Za-z0-9])whsec_[A-Za-z0-9]{20,}/, 'looks like a Stripe webhook secret'],
  [
    // OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`) and the many keys that copy them.
    /(?<![A-Za-z0-9])(?:sk|rk)[-_](?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}/i,
    'looks like an API secret key (sk-…)',
  ],
  [/(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])/, 'looks like a Twilio API key'],
  [/(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/, 'looks like an AWS access key ID'],
  [/AIza[0-9A-Za-z_-]{35}/, 'looks like a Google API key'],
  [/(?<![A-Za-z0-9])ya29\.[0-9A-Za-z_-]{20,}/, 'looks like a Google OAuth access token'],
  [/GOCSPX-[0-9A-Za-z_-]{20,}/, 'looks like a Google OAuth client secret'],
  [/(?<![A-Za-z0-9])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}/, 'looks like a GitHub token'],
  [/(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,}/, 'looks like a GitHub token'],
  [/(?<![A-Za-z0-9])gl(?:pat|dt|rt|ptt|ft|imt|oas|soat|cbt)-[A-Za-z0-9_-]{20,}/, 'looks like a GitLab token'],
  [/(?<![A-Za-z0-9])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}/, 'looks like a Slack token'],
  [
    /hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+/,
    'looks like a Slack webhook URL',
  ],
  [/(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}/, 'looks like an npm token'],
  [/(?<![A-Za-z0-9])pypi-AgE[A-Za-z0-9_-]{50,}/, 'looks like a PyPI token'],
  [/(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}/, 'looks like a Hugging Face token'],
  [/(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/, 'looks like a SendGrid key'],
  [/(?<![A-Za-z0-9])shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}/, 'looks like a Shopify token'],
  [/(?<![A-Za-z0-9])do[opr]_v1_[a-f0-9]{64}/, 'looks like a DigitalOcean token'],
  [/(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{33}/, 'looks like a Telegram bot token'],
  [/(?:AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s]{8,}/i, 'looks like an Azure connection string'],
];

/** `Bearer …`, `Basic …`: anywhere in the text. `Token …`, `Digest …`: only as the whole value. */
const AUTHORIZATION = /(?:^|[\s:"'])(bearer|basic)\s+([A-Za-z0-9._~+/=:-]+)/gi;
const AUTHORIZATION_WHOLE = /^(?:token|digest|negotiate|ntlm)\s+([A-Za-z0-9._~+/=:-]+)$/i;

/** `password=…`, `api_key: …` written inside a value (connection strings, config lines). */
const ASSIGNMENT =
  /(?<![A-Za-z0-9])(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token)\s*[:=]\s*["']?([^\s"';&,]+)/gi;

/** The user-info part of a URL: `scheme://user:password@`. */
const URL_USER_INFO = /:\/\/([^\s/?#@]*)@/g;
/** Query or fragment parameters that carry credentials. */
const URL_CREDENTIAL_PARAMETER =
  /[?&;#](access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|secret|client_secret|password|passwd|pwd|auth|sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential)=([^&#\s]+)/gi;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Runs of token characters long enough to hold a secret. */
const TOKEN_RUN = /[A-Za-z0-9+/=_-]{32,}/g;
/** A short word before an ID (`req_`, `trace-`), or `0x`, is not part of its randomness. */
const WORD_PREFIX = /^(?:[A-Za-z]{1,12}[-_]|0x)/;
const HEX = /^[0-9a-fA-F]+$/;
/** Bits per character below which a run reads as words, not randomness. */
const ENTROPY_THRESHOLD = 4;
/** Share of neighbouring letters and digits of different classes below which a run reads as words. */
const CLASS_CHANGE_THRESHOLD = 0.3;
/** Bits per character above which fewer class changes suffice. */
const HIGH_ENTROPY_THRESHOLD = 4.4;

/** The characters of an e-mail address's local part, and its domain with a letter or punycode top-level domain. */
const EMAIL_LOCAL_PART = /[\p{L}\p{N}._%+'-]+$/u;
const EMAIL_DOMAIN =
  /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,62}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})(?![\p{L}\p{N}])/iu;

/** Names whose value is a secret when they end a metadata key (`password`, `dbPassword`, `x-api-key`). */
const SECRET_KEY_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'authorization',
  'auth',
  'credential',
  'credentials',
  'cookie',
  'cookies',
  'apikey',
  'privatekey',
  'secretkey',
  'accesskey',
  'bearer',
  'jwt',
]);
/** Words before `key` that make it a secret key rather than a cache or sort key. */
const SECRET_KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'secret',
  'access',
  'signing',
  'encryption',
  'master',
  'client',
]);
/** Values that say nothing about the secret itself: flags, placeholders and masks. */
const TRIVIAL_VALUE =
  /^(?:|true|false|yes|no|none|null|nil|undefined|n\/?a|set|unset|present|absent|missing|required|optional|enabled|disabled|on|off|redacted|hidden|masked|\[redacted\]|<redacted>|[0-9]+|[*•xX#._ -]+)$/i;

/**
 * Why a metadata entry must not become a span attribute, or `undefined` when it may: the
 * value (trimmed, NFKC-normalised) and the key are checked for known token and key formats
 * (JWT, `sk-…`, AWS, Google, GitHub, GitLab, Slack, npm, `Bearer …`, PEM blocks), long
 * high-entropy strings, credentials in URLs and e-mail addresses; and a key that names a
 * secret (`password`, `apiKey`, `token`, `authorization`) is refused with any non-trivial
 * value. UUIDs, short hex IDs, git SHAs, trace IDs, user IDs, dates and URLs without
 * credentials pass.
 *
 * @example
 * sensitiveReason('plan', 'pro'); // undefined
 * sensitiveReason('contact', 'Ann <ann@example.com>'); // 'e-mail address'
 */
export function sensitiveReason(key: string, value: string): string | undefined {
  const keyText = normalise(key);
  const keyReason = textReason(keyText);
  if (keyReason !== undefined) return `key ${keyReason}`;
  const valueText = normalise(value);
  const secretWord = secretKeyWord(keyText);
  if (secretWord !== undefined && !TRIVIAL_VALUE.test(valueText)) return `key names a secret ("${secretWord}")`;
  return textReason(valueText);
}

function normalise(text: string): string {
  const head = text.length > MAX_CHECKED_LENGTH ? text.slice(0, MAX_CHECKED_LENGTH) : text;
  // NFKC folds full-width and compatibility forms (＠ → @, ｓｋ → sk); format characters
  // (zero-width spaces and joiners) would otherwise split a token in two.
  return head
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .trim();
}

function textReason(text: string): string | undefined {
  if (text.length < 6) return undefined;
  for (const [pattern, reason] of KNOWN_FORMATS) if (pattern.test(text)) return reason;
  return (
    authorizationReason(text) ?? urlReason(text) ?? assignmentReason(text) ?? emailReason(text) ?? entropyReason(text)
  );
}

function authorizationReason(text: string): string | undefined {
  const whole = AUTHORIZATION_WHOLE.exec(text);
  if (whole !== null && looksLikeCredential(whole[1] ?? '')) return 'looks like an Authorization header value';
  for (const match of text.matchAll(AUTHORIZATION)) {
    const scheme = (match[1] ?? '').toLowerCase();
    const credential = match[2] ?? '';
    if (looksLikeCredential(credential) || (scheme === 'bearer' && credential.length >= 8))
      return 'looks like an Authorization header value';
  }
  return undefined;
}

/** Credential-shaped rather than a word: digits, punctuation or mixed case, and not just a number. */
function looksLikeCredential(credential: string): boolean {
  if (credential.length < 3 || /^[0-9]+$/.test(credential)) return false;
  return /[0-9._~+/=:-]/.test(credential) || (/[a-z]/.test(credential) && /[A-Z]/.test(credential.slice(1)));
}

function urlReason(text: string): string | undefined {
  if (text.includes('://')) {
    for (const match of text.matchAll(URL_USER_INFO)) {
      const userInfo = match[1] ?? '';
      const colon = userInfo.indexOf(':');
      if (colon >= 0 && !TRIVIAL_VALUE.test(userInfo.slice(colon + 1))) return 'credentials in a URL';
    }
  }
  for (const match of text.matchAll(URL_CREDENTIAL_PARAMETER)) {
    const name = (match[1] ?? '').toLowerCase();
    const parameter = match[2] ?? '';
    if (TRIVIAL_VALUE.test(parameter) || parameter.length < 6) continue;
    // `?key=pricing` is a word; `?key=AIza…`, `?key=3f9a…` is a credential.
    if ((name === 'key' || name === 'auth' || name === 'sig') && !/[0-9]/.test(parameter)) continue;
    return `credentials in a URL (${name}=…)`;
  }
  return undefined;
}

function assignmentReason(text: string): string | undefined {
  for (const match of text.matchAll(ASSIGNMENT)) {
    const assigned = match[1] ?? '';
    if (assigned.length >= 3 && !TRIVIAL_VALUE.test(assigned)) return 'a password or key written into the value';
  }
  return undefined;
}

function emailReason(text: string): string | undefined {
  let at = text.indexOf('@');
  // Each candidate reads at most 64 characters back and 255 forward: linear in the text.
  for (let seen = 0; at > 0 && seen < 64; seen++, at = text.indexOf('@', at + 1)) {
    const local = EMAIL_LOCAL_PART.exec(text.slice(Math.max(0, at - 64), at));
    if (local === null || /^[.]|[.]$/.test(local[0])) continue;
    if (EMAIL_DOMAIN.test(text.slice(at + 1, at + 256))) return 'e-mail address';
  }
  return undefined;
}

function entropyReason(text: string): string | undefined {
  const scrubbed = text.replace(UUID, ' ');
  for (const match of scrubbed.matchAll(TOKEN_RUN)) {
    const run = match[0].replace(/=+$/, '');
    const body = run.replace(WORD_PREFIX, '');
    if (HEX.test(body)) {
      // 32 hex digits are trace IDs and MD5 sums, 40 are git SHAs; 48 and more are keys and hashes of secrets.
      if (body.length >= 48 && /[0-9]/.test(body) && /[a-fA-F]/.test(body))
        return 'high-entropy string (long hexadecimal)';
      continue;
    }
    if (!looksRandom(run)) continue;
    return run.length === 40 && /^[A-Za-z0-9/+]+$/.test(run)
      ? 'looks like an AWS secret access key'
      : 'high-entropy string';
  }
  return undefined;
}

/**
 * Random rather than words: high Shannon entropy per character, and a character class
 * (lower, upper, digit) that changes often between neighbours, where words and
 * camel-case names change class only at their boundaries.
 */
function looksRandom(text: string): boolean {
  const counts = new Map<string, number>();
  let pairs = 0;
  let changes = 0;
  let previous = 0;
  for (const char of text) {
    counts.set(char, (counts.get(char) ?? 0) + 1);
    const current = characterClass(char);
    if (current !== 0 && previous !== 0) {
      pairs++;
      if (current !== previous) changes++;
    }
    previous = current;
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  if (pairs === 0) return false;
  const changeRate = changes / pairs;
  // Either clearly mixed classes, or very high entropy with some mixing (an unlucky random draw).
  return (
    (entropy >= ENTROPY_THRESHOLD && changeRate >= CLASS_CHANGE_THRESHOLD) ||
    (entropy >= HIGH_ENTROPY_THRESHOLD && changeRate >= CLASS_CHANGE_THRESHOLD / 2)
  );
}

/** 1 lower-case letter, 2 upper-case letter, 3 digit, 0 anything else. */
function characterClass(char: string): number {
  if (char >= 'a' && char <= 'z') return 1;
  if (char >= 'A' && char <= 'Z') return 2;
  if (char >= '0' && char <= '9') return 3;
  return 0;
}

/** The secret a key names (`password`, `token`, `api key`), or `undefined`. */
function secretKeyWord(key: string): string | undefined {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  const last = words.at(-1);
  if (last === undefined) return undefined;
  if (SECRET_KEY_WORDS.has(last)) return last;
  const before = words.at(-2);
  if (last === 'key' && before !== undefined && SECRET_KEY_QUALIFIERS.has(before)) return `${before} key`;
  return undefined;
}
