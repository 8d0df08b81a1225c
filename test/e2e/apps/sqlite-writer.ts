// Writes to one thread of a SqliteThreadStore in a loop, for test/e2e/sqlite-thread-store.test.ts.
//   node --import tsx sqlite-writer.ts <file> <threadId> crash
//     saves turn 1, 2, … for ever (each a 64 KiB blob marked with its turn, a counter in
//     state and metadata); prints each turn once its save has committed. Killed by the test.
//   node --import tsx sqlite-writer.ts <file> <threadId> keys <name> <turns>
//     load, then save `<name>:<turn>` and `<name>` = next turn, <turns> times; prints "done".
import { SqliteThreadStore } from '../../../src/thread/sqlite-thread-store.js';

const [path, threadId, mode, name, turns] = process.argv.slice(2);
if (path === undefined || threadId === undefined) throw new Error('usage: sqlite-writer <file> <threadId> <mode>');
const store = new SqliteThreadStore({ path });

/** The blob of turn `turn`: its number, then one letter repeated, 64 KiB in all. */
function blobOf(turn: number): string {
  return `${turn}:`.padEnd(64 * 1024, String.fromCharCode(97 + (turn % 26)));
}

if (mode === 'crash') {
  const first = Number((await store.load(threadId))?.state['turn'] ?? 0) + 1;
  for (let turn = first; ; turn++) {
    await store.save(threadId, {
      cleared: false,
      set: { turn, blob: blobOf(turn), [`slot${turn % 40}`]: { turn, list: [turn, String(turn)] } },
      deleted: [`slot${(turn + 20) % 40}`],
      metadata: { turn },
    });
    process.stdout.write(`${turn}\n`);
  }
} else if (mode === 'keys' && name !== undefined) {
  for (let turn = 0; turn < Number(turns); turn++) {
    const snapshot = await store.load(threadId);
    const count = typeof snapshot?.state[name] === 'number' ? snapshot.state[name] : 0;
    await store.save(threadId, {
      cleared: false,
      set: { [`${name}:${count}`]: count, [name]: count + 1 },
      deleted: [],
    });
  }
  await store.close();
  process.stdout.write('done\n');
}
