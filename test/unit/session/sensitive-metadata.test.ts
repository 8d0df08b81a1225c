import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { looksSensitive, metadataAttributes } from '../../../src/session/metadata-attributes.js';
import { sensitiveReason } from '../../../src/session/sensitive-metadata.js';

// Every secret below is built at test time from parts or from random bytes, so that no
// literal in this file looks like a real credential to a secret scanner.
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE62 = UPPER + UPPER.toLowerCase() + '0123456789';
const BASE64 = BASE62 + '+/';
const HEX = '0123456789abcdef';

function random(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}
/** Random characters with at least one digit, so that a format needing one always gets it. */
function randomWithDigit(alphabet: string, length: number): string {
  return random(alphabet, length - 1) + String(randomInt(10));
}
const base64url = (json: object): string => Buffer.from(JSON.stringify(json)).toString('base64url');
const jwt = (): string =>
  [
    base64url({ alg: 'HS256', typ: 'JWT' }),
    base64url({ sub: 'u_42', iat: 1_700_000_000 }),
    randomBytes(32).toString('base64url'),
  ].join('.');
const at = '@';
const pem = (kind: string): string =>
  `${'-'.repeat(5)}BEGIN ${kind}${'-'.repeat(5)}\n${randomBytes(48).toString('base64')}\n`;
const awsSecret = (): string => random(BASE64, 39) + String(randomInt(10));

type Entry = readonly [key: string, value: string];
const v = (value: string): Entry => ['value', value];

/** Each miss listed in issue 14, item "The metadata guard misses real secrets". */
const ISSUE_14_MISSES: Entry[] = [
  v(awsSecret()), // an AWS secret access key (40 characters)
  v(['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCY' + 'EXAMPLEKEY'].join('/')), // AWS's documented example secret
  v(randomBytes(66).toString('base64')), // an 88-character base64 string
  v('AIza' + random(BASE62 + '-_', 35)), // a Google key
  v('ASIA' + random(UPPER + '234567', 16)), // an ASIA… key ID
  v('npm_' + random(BASE62, 36)), // an npm token
  v(randomBytes(32).toString('hex')), // 64 hex characters
  v(pem('RSA PRIVATE KEY')), // a PEM header
  v(['postgres://admin', 'hunter2' + at + 'db/app'].join(':')), // credentials in a database URL
  v(' ' + jwt()), // a JWT with a leading space
  v(jwt() + '\n'), // a JWT with a trailing newline
  v('SK-' + randomWithDigit(BASE62, 48).toUpperCase()), // SK-… in upper case
  v('ann' + at + 'пример.рф'), // an IDN top-level domain
  v('ann＠example.com'), // a full-width ＠
  v(`"Ann Lee" <ann${at}example.com>`), // a display name
  v(`ann${at}example.com `), // a trailing space
  v(`please reach ann${at}example.com before Friday`), // inside a sentence
  [jwt(), 'true'], // a secret used as a metadata key
  ['sk-' + randomWithDigit(BASE62, 40), 'enabled'], // another secret used as a key
];

const SECRETS: Entry[] = [
  ...ISSUE_14_MISSES,
  // JSON Web Tokens
  v(jwt()),
  v(`\t${jwt()}\t`),
  v('Bearer ' + jwt()),
  v('token was ' + jwt() + ', please check'),
  // OpenAI, Anthropic, Stripe style keys
  v('sk-' + randomWithDigit(BASE62, 48)),
  v('sk-proj-' + randomWithDigit(BASE62 + '-_', 64)),
  v('sk-ant-api03-' + randomWithDigit(BASE62 + '-_', 80) + 'AA'),
  v('Sk-' + randomWithDigit(BASE62, 32)),
  v(['sk', 'live', random(BASE62, 24)].join('_')),
  v(['sk', 'test', random(BASE62, 24)].join('_')),
  v(['rk', 'live', random(BASE62, 24)].join('_')),
  v('whsec_' + random(BASE62, 32)),
  v('SK' + random(HEX, 32)), // Twilio
  // AWS
  v('AKIA' + 'IOSFODNN7EXAMPLE'),
  v('AKIA' + random(UPPER + '234567', 16)),
  v('ASIA' + random(UPPER + '234567', 16)),
  v('aws_access_key_id=AKIA' + random(UPPER + '234567', 16)),
  v(awsSecret()),
  v(awsSecret()),
  v(awsSecret()),
  // Google
  v('AIza' + random(BASE62 + '-_', 35)),
  v('https://maps.example.com/api?key=AIza' + random(BASE62, 35)),
  v('ya29.' + random(BASE62 + '-_', 60)),
  v('GOCSPX-' + random(BASE62 + '-_', 28)),
  // GitHub, GitLab, Slack, npm and others
  ...['ghp', 'gho', 'ghu', 'ghs', 'ghr'].map((prefix) => v(`${prefix}_${random(BASE62, 36)}`)),
  v('github_pat_' + random(BASE62, 22) + '_' + random(BASE62, 59)),
  v('glpat-' + random(BASE62 + '-_', 20)),
  v('gldt-' + random(BASE62 + '-_', 20)),
  ...['xoxb', 'xoxp', 'xoxa', 'xoxs'].map((prefix) =>
    v(`${prefix}-${random('0123456789', 12)}-${random('0123456789', 13)}-${random(BASE62, 24)}`),
  ),
  v(
    ['https://hooks.slack.com/services', 'T' + random(UPPER, 8), 'B' + random(UPPER, 10), random(BASE62, 24)].join('/'),
  ),
  v('npm_' + random(BASE62, 36)),
  v('pypi-AgE' + random(BASE62 + '-_', 70)),
  v('hf_' + random(BASE62, 34)),
  v(['SG', random(BASE62 + '-_', 22), random(BASE62 + '-_', 43)].join('.')),
  v('shpat_' + random(HEX, 32)),
  v('dop_v1_' + random(HEX, 64)),
  v(random('0123456789', 10) + ':AA' + random(BASE62 + '-_', 33)), // Telegram bot
  v(`DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${randomBytes(64).toString('base64')};`),
  // Authorization header values
  v('Bearer ' + randomBytes(32).toString('base64url')),
  v('bearer ' + random(BASE62, 40)),
  v('Bearer ' + 'abcdefghijklmnop'),
  v('Basic ' + Buffer.from(['admin', 'hunter2'].join(':')).toString('base64')),
  v('Authorization: Bearer ' + randomBytes(24).toString('hex')),
  v('Token ' + randomBytes(20).toString('hex')),
  // PEM blocks
  v(pem('PRIVATE KEY')),
  v(pem('EC PRIVATE KEY')),
  v(pem('OPENSSH PRIVATE KEY')),
  v(pem('ENCRYPTED PRIVATE KEY')),
  v(pem('PGP PRIVATE KEY BLOCK')),
  // High-entropy strings
  v(randomBytes(66).toString('base64')),
  v(randomBytes(66).toString('base64')),
  v(randomBytes(32).toString('base64')),
  v(randomBytes(32).toString('base64url')),
  v(randomBytes(32).toString('base64url')),
  v(randomBytes(48).toString('base64url')),
  v(random(BASE62, 40)),
  v(random(BASE62, 64)),
  v(randomBytes(32).toString('hex')),
  v(randomBytes(32).toString('hex').toUpperCase()),
  v(randomBytes(24).toString('hex')),
  v(randomBytes(64).toString('hex')),
  v('0x' + randomBytes(32).toString('hex')),
  v('the signing secret is ' + randomBytes(32).toString('base64')),
  // Credentials in URLs
  v(['https://user', 'pass' + at + 'host'].join(':')),
  v(['mysql://root', random(BASE62, 16) + at + '10.0.0.5:3306/shop'].join(':')),
  v(['redis://', random(BASE62, 24) + at + 'cache:6379/0'].join(':')),
  v(['mongodb+srv://app', random(BASE62, 16) + at + 'cluster0.example.net/db?retryWrites=true'].join(':')),
  v(['amqp://guest', 's3cret' + at + 'mq.internal:5672'].join(':')),
  v('https://api.example.com/v1/items?token=' + random(BASE62, 24)),
  v('https://api.example.com/v1/items?page=2&api_key=' + random(BASE62, 24)),
  v('https://app.example.com/callback#access_token=' + random(BASE62, 30) + '&token_type=bearer'),
  v('https://bucket.s3.amazonaws.com/report.pdf?X-Amz-Expires=300&X-Amz-Signature=' + randomBytes(32).toString('hex')),
  v('https://example.com/reset?password=' + 'Tr0ub4dor3'),
  v('Server=db;Database=shop;User Id=app;Password=' + random(BASE62, 12) + ';'),
  v('api_key: ' + random(BASE62, 20)),
  // E-mail addresses, after normalisation
  v(`ann${at}example.com`),
  v(`ANN.LEE${at}EXAMPLE.COM`),
  v(`ann.lee+billing${at}mail.example.co.uk`),
  v(`ann${at}xn--e1afmkfd.xn--p1ai`),
  v(`müller${at}beispiel.de`),
  v(`user${at}例え.jp`),
  v('ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ'),
  v('ann﹫example.com'),
  v(`ann${at}exam\u200Bple.com`),
  v(`mailto:ann${at}example.com`),
  v(`Ann <ann${at}example.com>`),
  v(`\n  ann${at}example.com\n`),
  v(`contact: ann${at}example.com, bob${at}example.org`),
  // Keys that are secrets, and keys that name one
  ['AKIA' + random(UPPER + '234567', 16), '1'],
  [`ann${at}example.com`, 'vip'],
  [randomBytes(32).toString('base64url'), 'x'],
  ['password', 'hunter2'],
  ['apiKey', 'abc123def456'],
  ['secret', 'opensesame'],
  ['token', 't0k3n-value'],
  ['authorization', 'letmein-please'],
  ['db_password', 'pw'],
  ['X-Api-Key', 'k-12345'],
  ['clientSecret', 'shh'],
  ['OPENAI_API_KEY', 'not-a-real-one'],
  ['refreshToken', 'abcdefgh'],
  ['privateKey', 'whatever'],
  ['sessionCookie', 'abc=def'],
  ['signingKey', 'k1'],
];

const ORDINARY: Entry[] = [
  // User, account and request IDs
  ['userId', 'user_12345'],
  ['userId', 'usr-abc123'],
  ['userId', 'u_42'],
  ['userId', '12345'],
  ['customerId', 'cus_' + random(BASE62, 14)],
  ['accountId', 'acct_' + random(BASE62, 16)],
  ['parentSessionId', newSessionId()],
  ['threadId', newThreadId()],
  ['requestId', randomUUID()],
  ['requestId', randomUUID()],
  ['requestId', randomUUID().toUpperCase()],
  ['requestId', 'urn:uuid:' + randomUUID()],
  ['requestId', 'req_' + randomBytes(16).toString('hex')],
  ['orderId', 'ord-' + randomUUID()],
  ['traceId', randomBytes(16).toString('hex')],
  ['spanId', randomBytes(8).toString('hex')],
  ['objectId', randomBytes(12).toString('hex')],
  ['shortId', randomBytes(4).toString('hex')],
  ['shortId', randomBytes(6).toString('hex')],
  ['commit', randomBytes(20).toString('hex').slice(0, 7)],
  ['commit', randomBytes(20).toString('hex')],
  ['ulid', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ['nanoid', randomBytes(16).toString('base64url').slice(0, 21)],
  ['ksuid', random(BASE62, 27)],
  ['invoice', 'INV-2026-000123'],
  ['order', 'ORD_20261125_000042'],
  ['sku', 'sku-ABC-12345'],
  ['ticket', 'JIRA-4321'],
  ['tenant', 'tenant-acme-corp'],
  // Plans and request types
  ...['free', 'pro', 'enterprise', 'team-annual', 'Basic', 'basic plan', 'basic subscription', 'Premium Plus'].map(
    (plan): Entry => ['plan', plan],
  ),
  ['plan', 'starter_monthly_2024'],
  ...['chat', 'completion', 'summarize', 'customer-support-escalation', 'refund_request', 'password_reset'].map(
    (type): Entry => ['requestType', type],
  ),
  ['requestType', 'token_refresh'],
  // Departments
  ...['sales', 'Marketing', 'Research & Development', 'customer success', 'EMEA Sales', '销售部', 'отдел продаж'].map(
    (department): Entry => ['department', department],
  ),
  // Models
  ...[
    'gpt-4o-mini',
    'gpt-4o-2024-08-06',
    'claude-3-5-sonnet-20241022',
    'claude-sonnet-4-5',
    'text-embedding-3-large',
    'llama-3.1-70b-instruct',
    'gemini-1.5-pro-002',
    'meta-llama/Meta-Llama-3.1-8B-Instruct',
    'anthropic.claude-3-haiku-20240307-v1:0',
  ].map((model): Entry => ['model', model]),
  // Locales, times and numbers
  ...['en-US', 'de_DE', 'zh-Hant-TW', 'pt-BR', 'Europe/Berlin'].map((locale): Entry => ['locale', locale]),
  ['date', '2026-11-24'],
  ['at', '2026-11-24T13:56:09Z'],
  ['at', '2026-11-24T13:56:09.123+01:00'],
  ['at', 'Wed, 25 Nov 2026 13:56:09 GMT'],
  ['at', '1732543200000'],
  ['duration', 'PT30M'],
  ...['42', '3.14', '-1', '1e6', '0x1F', '€12.50', 'USD'].map((number): Entry => ['amount', number]),
  // URLs without credentials, paths, versions
  ['url', 'https://example.com'],
  ['url', 'https://example.com/docs/getting-started?page=2&sort=asc'],
  ['url', 'https://api.example.com/v1/users/12345/orders'],
  ['url', 'https://github.com/open-telemetry/opentelemetry-js/pull/5123'],
  ['url', 'https://www.example.com/search?q=otel+sessions&key=pricing'],
  ['url', 'https://cdn.example.com/assets/app.3f9a2c1b.js'],
  ['url', 'https://example.com/oauth/authorize?response_type=code&token_type=bearer&state=xyz'],
  ['url', 'postgres://db.internal:5432/app'],
  ['url', 's3://my-bucket/reports/2026/11/report.csv'],
  ['path', '/var/lib/app/data.json'],
  ['path', 'C:\\Users\\Public\\report.docx'],
  ['path', './src/session/sensitive-metadata.ts'],
  ['path', '/usr/local/lib/node_modules/typescript/lib/typescript.js'],
  ['resource', 'projects/my-project-123/locations/us-central1/models/gemini'],
  ['resource', 'arn:aws:lambda:us-east-1:123456789012:function:my-function'],
  ...['1.2.3', 'v2.0.0-beta.1', '^4.17.21', 'react@18.2.0', '@opentelemetry/api@1.9.0', 'node@20'].map(
    (version): Entry => ['version', version],
  ),
  // Everything else an app files metadata under
  ['region', 'us-east-1'],
  ['zone', 'eu-west-2a'],
  ['ip', '192.168.1.10'],
  ['ip', '2001:db8::1'],
  ['color', '#ff8800'],
  ['contentType', 'text/html; charset=utf-8'],
  [
    'userAgent',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0',
  ],
  ['experiment', 'checkout_v2_experiment'],
  ['experiment', 'A/B test group B'],
  ['queue', 'CustomerSuccessEscalationQueueEMEA2024Q3'],
  ['pipeline', 'ProjectAlphaDeploymentPipelineStage'],
  ['note', 'The quick brown fox jumps over the lazy dog'],
  ['note', 'Order #12345 shipped'],
  ['note', '🚀 launch'],
  ['note', 'token limit reached'],
  ['note', 'Bearer'],
  ['host', 'acme.example.com'],
  ['long', 'y'.repeat(5000)],
  ['encoded', 'SGVsbG8='],
  ['flag', 'true'],
  // Keys that mention a secret without holding one
  ['tokenCount', '1234'],
  ['maxTokens', '4096'],
  ['tokenizer', 'cl100k_base'],
  ['tokenType', 'Bearer'],
  ['authMethod', 'oauth'],
  ['authorId', 'user_7'],
  ['passwordPolicy', 'strict'],
  ['secretName', 'prod/db'],
  ['apiKeyId', 'key_123'],
  ['cacheKey', 'user:42:profile'],
  ['sortKey', 'createdAt'],
  ['hasPassword', 'true'],
  ['password', ''],
  ['apiKey', '***'],
  ['token', '[REDACTED]'],
];

test('sensitive-metadata corpus: every secret is refused and every ordinary value passes', () => {
  const missed = SECRETS.filter(([key, value]) => sensitiveReason(key, value) === undefined);
  const falseAlarms = ORDINARY.map(([key, value]) => [key, value, sensitiveReason(key, value)] as const).filter(
    ([, , reason]) => reason !== undefined,
  );
  const refused = SECRETS.length - missed.length;
  const recall = refused / SECRETS.length;
  const precision = refused / (refused + falseAlarms.length);
  console.log(
    `sensitive-metadata corpus: ${SECRETS.length} secrets, ${ORDINARY.length} ordinary; ` +
      `recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}`,
  );
  assert.ok(SECRETS.length >= 100, `at least 100 secrets (${SECRETS.length})`);
  assert.ok(ORDINARY.length >= 100, `at least 100 ordinary values (${ORDINARY.length})`);
  assert.deepEqual(missed, [], 'secrets that passed');
  assert.deepEqual(falseAlarms, [], 'ordinary values that were refused');
});

test('each miss listed in issue 14 is refused', () => {
  for (const [key, value] of ISSUE_14_MISSES)
    assert.ok(sensitiveReason(key, value) !== undefined, JSON.stringify([key.slice(0, 12), value.slice(0, 12)]));
});

test('the reason names what was found', () => {
  assert.equal(sensitiveReason('v', jwt()), 'looks like a JSON Web Token');
  assert.equal(sensitiveReason('v', `Ann <ann${at}example.com>`), 'e-mail address');
  assert.equal(sensitiveReason('v', ['postgres://admin', 'hunter2' + at + 'db/app'].join(':')), 'credentials in a URL');
  assert.equal(sensitiveReason('v', randomBytes(66).toString('base64')), 'high-entropy string');
  assert.equal(sensitiveReason('v', randomBytes(32).toString('hex')), 'high-entropy string (long hexadecimal)');
  assert.equal(sensitiveReason('v', awsSecret()), 'looks like an AWS secret access key');
  assert.equal(sensitiveReason('dbPassword', 'hunter2'), 'key names a secret ("password")');
  assert.equal(sensitiveReason(`ann${at}example.com`, 'vip'), 'key e-mail address');
});

test('values are trimmed and only the first 4 KiB is read', () => {
  const secret = 'npm_' + random(BASE62, 36);
  assert.ok(sensitiveReason('v', `  ${secret}\n`) !== undefined);
  assert.equal(
    sensitiveReason('v', 'y'.repeat(4096) + ' ' + secret),
    undefined,
    'past 4 KiB is never recorded, so never read',
  );
  assert.ok(sensitiveReason('v', 'y'.repeat(1000) + ' ' + secret) !== undefined, 'within 4 KiB is read');
});

test('hostile inputs finish with a definite answer (no pattern backtracks catastrophically)', () => {
  // With a backtracking-prone pattern any of these would hang the test; each has a known answer.
  const hostile: Array<[string, boolean]> = [
    ['a'.repeat(100_000), false],
    ['a@'.repeat(50_000), false],
    ['@a.'.repeat(30_000), false],
    ['://'.repeat(30_000), false],
    ['sk-'.repeat(30_000), false],
    ['eyJ' + 'a'.repeat(50_000) + '.', false],
    ['x=' + '&token='.repeat(10_000), false],
    ['password=' + ' '.repeat(50_000), false],
    ['-'.repeat(5) + 'BEGIN ' + 'A'.repeat(50_000), true],
    [('Bearer ' + 'a.').repeat(10_000), true],
  ];
  for (const [value, refused] of hostile)
    assert.equal(sensitiveReason('value', value) !== undefined, refused, value.slice(0, 20));
});

test('looksSensitive keeps its meaning on top of sensitiveReason', () => {
  assert.ok(looksSensitive('Bearer x.y.z'));
  assert.ok(looksSensitive(`a.b${at}c.io`));
  assert.ok(!looksSensitive('user_12345'));
});

const warnings: Array<[string, string]> = [];
const warn = (key: string, reason: string): void => {
  warnings.push([key, reason]);
};

test('metadataAttributes refuses with the built-in check by default and names the reason', () => {
  warnings.length = 0;
  const secretKey = 'AKIA' + random(UPPER + '234567', 16);
  const attributes = metadataAttributes(
    'session.metadata.',
    { plan: 'pro', contact: `ann${at}example.com `, [secretKey]: true, dbPassword: 'hunter2', count: 3 },
    { refuseSensitive: true, warn },
  );
  assert.deepEqual(attributes, { 'session.metadata.plan': 'pro', 'session.metadata.count': 3 });
  assert.deepEqual(
    warnings.map(([key]) => key),
    ['contact', '(a key that looks like a secret)', 'dbPassword'],
  );
  assert.match(warnings[0]?.[1] ?? '', /e-mail address/);
  assert.ok(!warnings.some(([key, reason]) => (key + reason).includes(secretKey)), 'a secret key is never repeated');
});

test('metadataAttributes with a function: it names the reason, or accepts with undefined', () => {
  warnings.length = 0;
  const seen: Array<[string, string]> = [];
  const attributes = metadataAttributes(
    'session.metadata.',
    { plan: 'pro', tier: 'internal-only', contact: `ann${at}example.com`, retries: 2 },
    {
      refuseSensitive: (key, value) => {
        seen.push([key, value]);
        return value.startsWith('internal') ? 'internal values stay inside' : undefined;
      },
      warn,
    },
  );
  assert.deepEqual(attributes, {
    'session.metadata.plan': 'pro',
    'session.metadata.contact': `ann${at}example.com`,
    'session.metadata.retries': 2,
  });
  assert.deepEqual(seen, [
    ['plan', 'pro'],
    ['tier', 'internal-only'],
    ['contact', `ann${at}example.com`],
    ['retries', '2'],
  ]);
  assert.deepEqual(
    warnings.map(([key]) => key),
    ['tier'],
  );
  assert.match(warnings[0]?.[1] ?? '', /internal values stay inside/);
});

test('metadataAttributes with a function that throws refuses that entry and keeps the rest', () => {
  warnings.length = 0;
  const attributes = metadataAttributes(
    'm.',
    { plan: 'pro', odd: 'x' },
    {
      refuseSensitive: (key) => {
        if (key === 'odd') throw new Error('bug in the check');
        return undefined;
      },
      warn,
    },
  );
  assert.deepEqual(attributes, { 'm.plan': 'pro' });
  assert.deepEqual(
    warnings.map(([key]) => key),
    ['odd'],
  );
});

test('metadataAttributes with false records what the check would refuse', () => {
  warnings.length = 0;
  const secret = randomBytes(32).toString('hex');
  const attributes = metadataAttributes(
    'm.',
    { digest: secret, contact: `ann${at}example.com` },
    { refuseSensitive: false, warn },
  );
  assert.deepEqual(attributes, { 'm.digest': secret, 'm.contact': `ann${at}example.com` });
  assert.deepEqual(warnings, []);
});
