import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieValue } from '../../../src/edge/cookie-value.js';

const NAME = 'otel_sessions_thread';

test('the named cookie alone, first, among others, or last', () => {
  assert.equal(cookieValue(`${NAME}=thrd_a.b.c`, NAME), 'thrd_a.b.c');
  assert.equal(cookieValue(`${NAME}=thrd_a.b.c; theme=dark`, NAME), 'thrd_a.b.c');
  assert.equal(cookieValue(`theme=dark;  ${NAME} = thrd_a.b.c ;lang=en`, NAME), 'thrd_a.b.c');
  assert.equal(cookieValue(`theme=dark;${NAME}=thrd_a.b.c`, NAME), 'thrd_a.b.c');
});

test('the first of two cookies of that name, without its quotes; a value may hold "="', () => {
  assert.equal(cookieValue(`${NAME}="thrd_first"; ${NAME}=thrd_second`, NAME), 'thrd_first');
  assert.equal(cookieValue(`${NAME}=a=b`, NAME), 'a=b');
  assert.equal(cookieValue(`${NAME}=`, NAME), '');
});

test('no such cookie: a name that only contains or extends it, a value that holds it, no header', () => {
  assert.equal(cookieValue(undefined, NAME), undefined);
  assert.equal(cookieValue('', NAME), undefined);
  assert.equal(cookieValue(`x${NAME}=1; ${NAME}x=2`, NAME), undefined);
  assert.equal(cookieValue(`other=${NAME}`, NAME), undefined);
  assert.equal(cookieValue(`${NAME}; theme=dark`, NAME), undefined);
  assert.equal(cookieValue(`theme=dark; ${NAME}`, NAME), undefined);
});
