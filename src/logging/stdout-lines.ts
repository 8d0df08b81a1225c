import TransportStream from 'winston-transport';
import { MESSAGE } from './json-line.js';

/** Lines waiting for the end of this event-loop turn. */
const pending: string[] = [];
let flushScheduled = false;
let exitHooked = false;

/** Writes the waiting lines to stdout in one write. */
function flush(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending.length = 0;
  process.stdout.write(text);
}

function queue(line: string): void {
  pending.push(line);
  if (!exitHooked) {
    exitHooked = true;
    // A process that exits (process.exit, an uncaught error) still writes what it logged:
    // writes to stdout are synchronous for files, pipes and terminals.
    process.once('exit', flush);
  }
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}

/**
 * A winston transport that writes each record's line (its format's output, e.g. JSON) to
 * stdout, the lines of one event-loop turn in one write: a write to a pipe is a system call,
 * a cost worth sharing, so two log lines a request cost one call, not two,
 * and a busy turn's lines share one. The lines keep their order; they reach stdout at the end
 * of the turn (`setImmediate`), after anything the app wrote with `console.log` in that turn,
 * and on `exit`. A SIGKILL loses the lines of the turn it ends. @internal
 */
export class StdoutLinesTransport extends TransportStream {
  override log(info: Record<string | symbol, unknown>, done: () => void): void {
    queue(String(info[MESSAGE]));
    this.emit('logged', info);
    done();
  }
}
