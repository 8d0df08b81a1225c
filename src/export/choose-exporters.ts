import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { join } from 'node:path';
import { JournalLogExporter } from './journal-log-exporter.js';
import { JournalSpanExporter } from './journal-span-exporter.js';
import { createOtlpLogExporter, createOtlpSpanExporter, signalUrl } from './otlp-exporters.js';
import type { OtlpProtocol } from './otlp-protocol.js';
import { SpoolingLogRecordExporter } from './spooling-log-record-exporter.js';
import { SpoolingSpanExporter } from './spooling-span-exporter.js';

/** Where telemetry goes, as configured. @internal */
export interface ExportDestination {
  /** A collector's base endpoint given in code: wins over every endpoint variable. */
  endpoint?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT. */
  envEndpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _LOGS_ENDPOINT: full URLs. */
  tracesUrl?: string;
  logsUrl?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (else OTEL_EXPORTER_OTLP_PROTOCOL). @default 'http/protobuf' */
  tracesProtocol?: OtlpProtocol;
  logsProtocol?: OtlpProtocol;
  journalDir: string;
  /** Keep the journal even when exporting to a collector. */
  keepJournal: boolean;
  /** A signal not exported at all (OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER=none). @default false */
  tracesOff?: boolean;
  logsOff?: boolean;
  /** Cap of each signal's spool on disk. */
  maxSpoolBytes?: number;
  /**
   * Hand the exporters the URLs resolved here even when they come from variables (whose
   * values were given here, not read from `process.env`). @default false
   */
  resolvedUrls?: boolean;
}

/** Anything that can say when what it was given has reached the collector. @internal */
export interface SpoolHandle {
  whenSent(timeoutMs: number): Promise<boolean>;
  stopSending(): void;
  readonly pending: { items: number };
}

/** The exporters for a destination, and a description of it for people. @internal */
export interface ChosenExporters {
  spanExporters: SpanExporter[];
  logExporters: LogRecordExporter[];
  /** The disk spools in front of the OTLP exporters. */
  spools: SpoolHandle[];
  description: string;
}

interface SignalTarget {
  /** The URL for messages. */
  url: string;
  /** The URL handed to the exporter; undefined when it reads the variables itself. */
  configured: string | undefined;
}

/**
 * The official OTLP exporters of the configured protocol, each behind a disk spool under
 * `<journalDir>/spool/<signal>/`, when a collector is configured; the local journal when
 * none is, or both when asked; nothing for a signal turned off. @internal
 */
export function chooseExporters(destination: ExportDestination): ChosenExporters {
  const { journalDir, maxSpoolBytes } = destination;
  const tracesProtocol = destination.tracesProtocol ?? 'http/protobuf';
  const logsProtocol = destination.logsProtocol ?? 'http/protobuf';
  const tracesOn = destination.tracesOff !== true;
  const logsOn = destination.logsOff !== true;
  const traces = tracesOn ? target(destination, tracesProtocol, 'traces') : undefined;
  const logs = logsOn ? target(destination, logsProtocol, 'logs') : undefined;

  const chosen: ChosenExporters = { spanExporters: [], logExporters: [], spools: [], description: '' };
  if (traces) {
    const exporter = new SpoolingSpanExporter(
      createOtlpSpanExporter({ protocol: tracesProtocol, url: traces.configured }),
      { dir: join(journalDir, 'spool', 'spans'), target: traces.url, maxBytes: maxSpoolBytes },
    );
    chosen.spanExporters.push(exporter);
    chosen.spools.push(exporter);
  }
  if (logs) {
    const exporter = new SpoolingLogRecordExporter(
      createOtlpLogExporter({ protocol: logsProtocol, url: logs.configured }),
      { dir: join(journalDir, 'spool', 'logs'), target: logs.url, maxBytes: maxSpoolBytes },
    );
    chosen.logExporters.push(exporter);
    chosen.spools.push(exporter);
  }
  // A signal with no collector goes to the journal, as does everything when asked.
  const journalSpans = tracesOn && (traces === undefined || destination.keepJournal);
  const journalLogs = logsOn && (logs === undefined || destination.keepJournal);
  if (journalSpans) chosen.spanExporters.push(new JournalSpanExporter({ dir: journalDir }));
  if (journalLogs) chosen.logExporters.push(new JournalLogExporter({ dir: journalDir }));
  const base = destination.endpoint ?? destination.envEndpoint;
  const journal = journalSpans || journalLogs ? journalDir : undefined;
  const collector = traces || logs ? (base?.replace(/\/+$/, '') ?? traces?.url ?? logs?.url) : undefined;
  chosen.description = [collector, journal].filter(Boolean).join(' and ') || 'nowhere (every signal turned off)';
  return chosen;
}

/** A signal's collector URL: code, then the signal's variable, then the general one; none without any. */
function target(
  destination: ExportDestination,
  protocol: OtlpProtocol,
  signal: 'traces' | 'logs',
): SignalTarget | undefined {
  if (destination.endpoint !== undefined) {
    const url = signalUrl(destination.endpoint, protocol, signal);
    return { url, configured: url };
  }
  const own = signal === 'traces' ? destination.tracesUrl : destination.logsUrl;
  const resolved = (url: string): SignalTarget => ({ url, configured: destination.resolvedUrls ? url : undefined });
  if (own !== undefined) return resolved(own);
  if (destination.envEndpoint !== undefined) return resolved(signalUrl(destination.envEndpoint, protocol, signal));
  // A traces URL alone implies its logs sibling only in the standard HTTP layout.
  if (signal === 'logs' && protocol !== 'grpc' && destination.tracesUrl?.endsWith('/v1/traces')) {
    const url = destination.tracesUrl.replace(/\/v1\/traces$/, '/v1/logs');
    return { url, configured: url };
  }
  return undefined;
}
