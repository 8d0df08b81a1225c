/** The text `otel-sessions --help` prints. */
export const HELP = `otel-sessions: look at one session, or one thread, of an app instrumented with otel-sessions

Usage:
  otel-sessions logs sess_…      the session's log records in time order: time, level, message, fields
  otel-sessions show sess_…      the session's span tree: names, durations, status, errors, attributes
  otel-sessions thread thrd_…    the sessions of a thread, oldest first
  otel-sessions list             recent sessions, newest first
  otel-sessions flush-spool      send now what stopped processes left in the journal's spool
                                 (damaged records are skipped and counted; a segment that
                                 cannot be read is renamed <name>.damaged and left there)

Where to read from (the local journal, then the Jaeger of OTEL_SESSIONS_JAEGER_URL if set):
  --journal DIR     only this journal folder (env OTEL_SESSIONS_JOURNAL_DIR; default .otel-sessions)
  --jaeger URL      only Jaeger's query API, e.g. http://localhost:16686
  env OTEL_SESSIONS_JAEGER_URL   Jaeger's query API, for what the journal does not have (an app
                    exporting to a collector keeps no journal)

Options:
  --json            machine-readable output (with logs --follow: one JSON object per line)
  -f, --follow      logs: keep printing the session's new records until Ctrl-C
  --since DURATION  list: sessions started within, e.g. 30m, 1h, 2d (default 24h)
  --service NAME    list: only this service's sessions
  --metadata K=V    list: only sessions with this session metadata (repeatable)
  --limit N         list: at most N sessions (default 50)
  --endpoint URL    flush-spool: the collector (default: OTEL_EXPORTER_OTLP_ENDPOINT and the
                    per-signal variables; protocol, headers, compression from theirs)
  --timeout DURATION  flush-spool: how long to try (default 30s)
  -h, --help        this text

Exit codes: 0 done, 1 not found, source unreachable, spool not emptied or damage skipped,
2 bad command line.
`;
