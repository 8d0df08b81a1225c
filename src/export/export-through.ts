import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { asError } from '../internal/as-error.js';

/** Anything with the exporters' `export(items, callback)` and `shutdown()`. @internal */
export interface ItemExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** One `export` call as a promise; an exporter that throws counts as a failed export. @internal */
export function exportThrough<T>(exporter: ItemExporter<T>, items: T[]): Promise<ExportResult> {
  return new Promise((resolve) => {
    try {
      exporter.export(items, resolve);
    } catch (error) {
      resolve({ code: ExportResultCode.FAILED, error: asError(error) });
    }
  });
}

/**
 * Shuts an exporter down, waiting at most `timeoutMs`: an exporter's shutdown waits for its
 * requests in flight, which a hung collector holds for the whole export timeout. @internal
 */
export async function shutdownWithin(exporter: ItemExporter<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    exporter.shutdown().catch((error: unknown) => diag.warn('otel-sessions: an exporter failed to shut down', error)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
