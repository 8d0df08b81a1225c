import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { JournalLogExporter } from './journal-log-exporter.js';
import { JournalSpanExporter } from './journal-span-exporter.js';
import { JournalWriter, type JournalSignal } from './journal-writer.js';
import { OtlpSpool } from './otlp-spool.js';
import { SpoolingLogExporter, SpoolingSpanExporter } from './otlp-spooling-exporters.js';

/** Where telemetry goes, as configured. @internal */
export interface ExportDestination {
  /** A collector's OTLP/HTTP base URL (`/v1/traces` and `/v1/logs` are added). */
  endpoint?: string;
  /** Full per-signal URLs (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, …), used when `endpoint` is not. */
  tracesUrl?: string;
  logsUrl?: string;
  headers?: Record<string, string>;
  journalDir: string;
  /** Keep the journal even when exporting to a collector. */
  keepJournal: boolean;
  maxSpoolBytes?: number;
}

/** The exporters for a destination, and a description of it for people. @internal */
export interface ChosenExporters {
  spanExporters: SpanExporter[];
  logExporters: LogRecordExporter[];
  description: string;
}

/**
 * OTLP through a spool when a collector is configured (what is unsent at shutdown goes to
 * the journal), the local journal when none is, or both when asked. @internal
 */
export function chooseExporters(destination: ExportDestination): ChosenExporters {
  const { journalDir, headers, maxSpoolBytes } = destination;
  const base = destination.endpoint?.replace(/\/+$/, '');
  const tracesUrl = base ? `${base}/v1/traces` : destination.tracesUrl;
  // A traces URL alone implies its logs sibling only in the standard layout.
  const siblingLogsUrl = tracesUrl?.endsWith('/v1/traces') ? tracesUrl.replace(/\/v1\/traces$/, '/v1/logs') : undefined;
  const logsUrl = base ? `${base}/v1/logs` : (destination.logsUrl ?? siblingLogsUrl);
  const spool = (url: string, signal: JournalSignal): OtlpSpool =>
    new OtlpSpool({
      url,
      headers,
      maxSpoolBytes,
      keepUnsent: (payloads) => writeToJournal(signal, journalDir, payloads),
    });

  const chosen: ChosenExporters = { spanExporters: [], logExporters: [], description: '' };
  if (tracesUrl) chosen.spanExporters.push(new SpoolingSpanExporter(spool(tracesUrl, 'spans')));
  if (logsUrl) chosen.logExporters.push(new SpoolingLogExporter(spool(logsUrl, 'logs')));
  // A signal with no collector URL goes to the journal, as does everything when asked.
  const journalSpans = tracesUrl === undefined || destination.keepJournal;
  const journalLogs = logsUrl === undefined || destination.keepJournal;
  if (journalSpans) chosen.spanExporters.push(new JournalSpanExporter({ dir: journalDir }));
  if (journalLogs) chosen.logExporters.push(new JournalLogExporter({ dir: journalDir }));
  const journal = journalSpans || journalLogs ? journalDir : undefined;
  chosen.description = [base ?? tracesUrl, journal].filter(Boolean).join(' and ');
  return chosen;
}

/** Appends encoded batches to the journal; resolves the file they went to. */
async function writeToJournal(signal: JournalSignal, dir: string, payloads: Uint8Array[]): Promise<string> {
  const writer = new JournalWriter(signal, { dir });
  await Promise.all(payloads.map((payload) => new Promise((resolve) => writer.write(() => payload, resolve))));
  const file = writer.currentFile ?? dir;
  await writer.close();
  return file;
}
