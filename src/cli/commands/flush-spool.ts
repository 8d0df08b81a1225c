import { chooseExporters } from '../../export/choose-exporters.js';
import type { SpoolDamage } from '../../export/spool-files.js';
import type { SpoolingLogRecordExporter } from '../../export/spooling-log-record-exporter.js';
import type { SpoolingSpanExporter } from '../../export/spooling-span-exporter.js';
import { Environment, settleSettings } from '../../runtime/settings.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.js';

/** What `flush-spool` needs. */
export interface FlushSpoolOptions {
  journalDir: string;
  /** The collector's base endpoint; else the OTLP endpoint variables of `env`. */
  endpoint?: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  print(line: string): void;
}

/**
 * `otel-sessions flush-spool`: sends what stopped processes left in the journal folder's
 * spools (`<journal>/spool/spans`, `…/logs`) to the collector now, through the same official
 * exporters and variables as the app (protocol, endpoint, headers, compression, certificates;
 * the endpoint and protocol from the given environment, the rest from the process's).
 * Spool segments of processes still running are theirs to send (a process ID reused by another
 * process does not count: see `SpoolOwner`). Damaged records are skipped, and a segment with no
 * readable record is moved aside (`….damaged`): each such segment is named in the output.
 * Exit code 0 when nothing is left, 1 when the collector did not take everything within the
 * timeout (what is left stays on disk) or when damaged records were skipped.
 */
export async function flushSpoolCommand(options: FlushSpoolOptions): Promise<number> {
  // The app's destination, settled from the same variables; only the spools are wanted here.
  const { destination } = settleSettings(
    { endpoint: options.endpoint, journalDir: options.journalDir },
    new Environment(options.env),
  );
  const chosen = chooseExporters({ ...destination, keepJournal: false, resolvedUrls: true });
  const spools = chosen.spools as (SpoolingSpanExporter | SpoolingLogRecordExporter)[];
  if (spools.length === 0) {
    await Promise.all([...chosen.spanExporters, ...chosen.logExporters].map((exporter) => exporter.shutdown()));
    throw new CliError(
      'no collector configured: set OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal variables) or pass --endpoint',
      EXIT_USAGE,
    );
  }
  const found = spools.map((spool) => spool.pending.items);
  await Promise.all(spools.map((spool) => spool.whenSent(options.timeoutMs)));
  const left = spools.map((spool) => spool.pending.items);
  await Promise.all(spools.map((spool) => spool.shutdown()));

  const describe = (counts: number[]): string =>
    spools.map((spool, i) => `${counts[i] ?? 0} ${spool.kind}`).join(' and ');
  const sent = found.map((n, i) => n - (left[i] ?? 0));
  const damaged = spools.flatMap((spool) => spool.damaged);
  if (found.every((n) => n === 0)) {
    options.print(`nothing to send in ${options.journalDir} (segments of running processes are theirs to send)`);
  } else {
    options.print(`sent ${describe(sent)} to ${chosen.description}`);
  }
  for (const damage of damaged) options.print(describeDamage(damage));
  if (left.some((n) => n > 0)) {
    options.print(`${describe(left)} left in ${options.journalDir}: the collector did not take them in time`);
    return EXIT_FAILURE;
  }
  return damaged.length > 0 ? EXIT_FAILURE : 0;
}

/** One line on a damaged segment: what was lost in it. */
function describeDamage({ path, bytes, places, movedTo }: SpoolDamage): string {
  return movedTo === undefined
    ? `skipped ${bytes} damaged bytes in ${places} place(s) of ${path}; the batches there are lost`
    : `no batch in ${path} is readable (${bytes} bytes): moved aside as ${movedTo}`;
}
