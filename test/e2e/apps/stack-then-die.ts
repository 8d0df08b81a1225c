/**
 * Fixture for jaeger-harness.test.ts: starts a Jaeger stack, prints its process IDs as one
 * JSON line, then dies the way the argument says, never calling stack.stop():
 *   throw   an uncaught exception
 *   exit    process.exit(3)
 *   wait    waits forever (the test then sends a signal)
 */
import { startJaegerStack } from '../support/jaeger.js';

const mode = process.argv[2] ?? 'throw';
const stack = await startJaegerStack();
process.stdout.write(`${JSON.stringify({ pids: stack.pids() })}\n`);

if (mode === 'throw') throw new Error('fixture: failing on purpose');
if (mode === 'exit') process.exit(3);
setInterval(() => {}, 60_000);
