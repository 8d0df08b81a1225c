import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  assertThreadSize,
  byteSizeOf,
  DEFAULT_MAX_THREAD_BYTES,
  encodeJsonValue,
  MAX_JSON_DEPTH,
  threadByteSize,
  toJsonMetadata,
  toJsonValue,
} from '../../../src/thread/json-state.js';
import { ThreadTooLargeError } from '../../../src/thread/thread-too-large-error.js';
import type { JsonValue } from '../../../src/thread/thread-store.js';

describe('toJsonValue', () => {
  test('accepts JSON values', () => {
    for (const value of [
      '',
      'text',
      0,
      -1.5,
      true,
      false,
      null,
      [],
      {},
      [1, ['a', { b: null }]],
      { a: { b: [true] } },
      Object.create(null),
    ]) {
      assert.deepEqual(toJsonValue('thread state "k"', value), JSON.parse(JSON.stringify(value)));
    }
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const cases: Array<[string, unknown, string]> = [
    ['function', () => 1, 'the value is a function'],
    ['symbol', Symbol('s'), 'the value is a symbol'],
    ['undefined', undefined, 'the value is undefined'],
    ['BigInt', 10n, 'the value is a BigInt (store it as a string)'],
    ['NaN', NaN, 'the value is NaN, which JSON cannot hold'],
    ['Infinity', -Infinity, 'the value is -Infinity, which JSON cannot hold'],
    ['nested function', { user: { name: 'a', greet() {} } }, 'value.user.greet is a function'],
    ['cycle', cyclic, 'value.self is a cycle back to one of its parents'],
    [
      'Date',
      { at: new Date(0) },
      'value.at is a Date, not a plain object (convert it, e.g. a Date with toISOString())',
    ],
    ['Map', new Map(), 'the value is a Map, not a plain object (convert it, e.g. a Date with toISOString())'],
    ['odd key', { 'a b': [{ c: 1n }] }, 'value["a b"][0].c is a BigInt (store it as a string)'],
    ['symbol key', { [Symbol('s')]: 1 }, 'the value has symbol keys'],
  ];
  for (const [name, value, detail] of cases) {
    test(`refuses ${name} with a TypeError naming the key`, () => {
      assert.throws(() => toJsonValue('thread state "cart"', value), {
        name: 'TypeError',
        message: `thread state "cart" is not JSON: ${detail}`,
      });
    });
  }

  test('a shared (non-cyclic) object reached twice is fine', () => {
    const shared = { x: 1 };
    assert.deepEqual(toJsonValue('thread state "k"', { a: shared, b: [shared, shared] }), {
      a: { x: 1 },
      b: [{ x: 1 }, { x: 1 }],
    });
  });

  test('undefined is handled as JSON.stringify does: dropped in objects, null in arrays and empty slots', () => {
    // eslint-disable-next-line no-sparse-arrays -- the sparse array is the point
    const value = { a: undefined, b: 1, list: [1, undefined, , 3], nested: { c: undefined, d: [undefined] } };
    const copy = toJsonValue('thread state "k"', value);
    assert.deepEqual(copy, { b: 1, list: [1, null, null, 3], nested: { d: [null] } });
    assert.deepEqual(copy, JSON.parse(JSON.stringify(value)));
    assert.equal(Object.hasOwn(copy as object, 'a'), false);
  });

  test('returns a copy: changing the input afterwards does not change it', () => {
    const input = { list: [1] };
    const copy = toJsonValue('thread state "k"', input);
    input.list.push(2);
    assert.deepEqual(copy, { list: [1] });
  });

  test(`nesting up to ${MAX_JSON_DEPTH} levels passes; deeper is a clear TypeError`, () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 'leaf';
      for (let level = 0; level < levels; level++) value = level % 2 === 0 ? [value] : { v: value };
      return value;
    };
    assert.doesNotThrow(() => toJsonValue('thread state "deep"', nest(MAX_JSON_DEPTH)));
    assert.throws(() => toJsonValue('thread state "deep"', nest(MAX_JSON_DEPTH + 1)), {
      name: 'TypeError',
      message:
        /^thread state "deep" is not JSON: value(\[0\]|\.v)+ is nested deeper than 64 levels of arrays and objects$/,
    });
    // 100,000 deep: refused at level 65, not a stack overflow.
    assert.throws(() => toJsonValue('thread metadata "x"', nest(100_000)), {
      name: 'TypeError',
      message: /^thread metadata "x" is not JSON: .* is nested deeper than 64 levels/,
    });
  });

  test('property: every JSON value passes and round-trips through its text (10,000 runs)', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (key, value) => {
        const text = encodeJsonValue(key, value);
        assert.deepEqual(JSON.parse(text), withoutNegativeZero(value));
        assert.equal(byteSizeOf(value as JsonValue), Buffer.byteLength(text));
      }),
      { numRuns: 10_000 },
    );
  });

  test('property: a non-JSON value anywhere inside a JSON value is refused, naming the key (10,000 runs)', () => {
    const bad = fc.constantFrom<unknown>(NaN, Infinity, 1n, Symbol('x'), () => 0, new Date(0), new Set([1]));
    fc.assert(
      fc.property(fc.jsonValue(), bad, fc.array(fc.nat()), (value, poison, steps) => {
        const poisoned = { root: structuredClone(value) as unknown };
        // Walk down the value along `steps`, then put the poison there.
        let parent: Record<string, unknown> | unknown[] = poisoned;
        let slot: string | number = 'root';
        for (const step of steps) {
          const here: unknown = (parent as Record<string | number, unknown>)[slot];
          if (Array.isArray(here) && here.length > 0) [parent, slot] = [here, step % here.length];
          else if (here !== null && typeof here === 'object' && Object.keys(here).length > 0) {
            const keys = Object.keys(here);
            [parent, slot] = [here as Record<string, unknown>, keys[step % keys.length] as string];
          } else break;
        }
        (parent as Record<string | number, unknown>)[slot] = poison;
        assert.throws(
          () => toJsonValue('thread state "the-key"', poisoned.root),
          (error: unknown) =>
            error instanceof TypeError && error.message.startsWith('thread state "the-key" is not JSON: '),
        );
      }),
      { numRuns: 10_000 },
    );
  });
});

/** `value` with every -0 turned into 0: JSON has no -0 (the one change a round trip makes). */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, withoutNegativeZero(child)]));
  }
  return value;
}

describe('toJsonMetadata', () => {
  test('drops entries whose value is undefined; names "thread metadata" in errors', () => {
    assert.deepEqual(toJsonMetadata({ userId: 'u1', plan: undefined, tags: [undefined] }), {
      userId: 'u1',
      tags: [null],
    });
    assert.throws(() => toJsonMetadata({ plan: 1n }), {
      name: 'TypeError',
      message: 'thread metadata "plan" is not JSON: the value is a BigInt (store it as a string)',
    });
    assert.throws(() => toJsonMetadata([1]), { name: 'TypeError', message: 'thread metadata must be a plain object' });
    assert.throws(() => toJsonMetadata(new Map()), TypeError);
  });
});

describe('thread size', () => {
  test('counts state keys and JSON texts plus the metadata text, in UTF-8 bytes', () => {
    // '{}' = 2; 'a' + '1' = 2; 'é' (2 bytes) + '"€"' (5 bytes) = 7
    assert.equal(threadByteSize({ state: { a: 1, é: '€' }, metadata: {} }), 11);
    assert.equal(DEFAULT_MAX_THREAD_BYTES, 1024 * 1024);
  });

  test('the cap gives a clear ThreadTooLargeError (a RangeError), and allows exactly the cap', () => {
    assert.doesNotThrow(() => assertThreadSize('thrd_abc', 100, 100));
    assert.throws(
      () => assertThreadSize('thrd_abc', 101, 100),
      (error: unknown) => {
        assert.ok(error instanceof ThreadTooLargeError && error instanceof RangeError);
        assert.equal(error.name, 'ThreadTooLargeError');
        assert.equal(error.message, 'thread thrd_abc would be 101 bytes after this change, above its cap of 100 bytes');
        assert.deepEqual([error.threadId, error.bytes, error.maxBytes], ['thrd_abc', 101, 100]);
        return true;
      },
    );
  });
});
