// OpenTelemetry's diag messages, kept for a test to read: what the library tells the operator.
import { afterEach, beforeEach } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';

/** One message written to diag. */
export interface DiagRecord {
  level: 'error' | 'warn' | 'info';
  text: string;
  /** What followed the text (an error object, for instance). */
  extra: unknown[];
}

/**
 * Sends diag's messages of `level` and above (info at most) into `records` until
 * `diag.disable()` or another logger, and returns `records`.
 */
export function captureDiag(level: DiagLogLevel = DiagLogLevel.INFO, records: DiagRecord[] = []): DiagRecord[] {
  const keep =
    (kind: DiagRecord['level']) =>
    (text: string, ...extra: unknown[]): void =>
      void records.push({ level: kind, text, extra });
  diag.setLogger(
    { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: () => {}, verbose: () => {} },
    level,
  );
  return records;
}

/** As {@link captureDiag}, keeping the texts only. */
export function captureDiagTexts(level: DiagLogLevel = DiagLogLevel.INFO, texts: string[] = []): string[] {
  const keep = (text: string): void => void texts.push(text);
  diag.setLogger({ error: keep, warn: keep, info: keep, debug: () => {}, verbose: () => {} }, level);
  return texts;
}

/**
 * The diag texts of `level` and above written during the current test: emptied and captured
 * again before each test of the calling file, and diag disabled after each.
 */
export function diagTextsOfEachTest(level: DiagLogLevel = DiagLogLevel.INFO): string[] {
  const texts: string[] = [];
  beforeEach(() => {
    texts.length = 0;
    captureDiagTexts(level, texts);
  });
  afterEach(() => diag.disable());
  return texts;
}
