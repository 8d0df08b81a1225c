/**
 * `node --import otel-sessions/register app.js` (or `--require` for CommonJS): starts
 * OpenTelemetry with sessions before the app loads, configured from the environment.
 *
 * Only on the main thread: worker threads inherit the flag, and so does the thread that runs
 * Node's module loader hooks under `--require`, where a second SDK would start and register
 * the ESM loader hook again. A worker that wants its own telemetry calls `registerSessions()`.
 * @module otel-sessions/register
 */
import { isMainThread } from 'node:worker_threads';
import { registerSessions } from './runtime/register-sessions.js';

if (isMainThread) registerSessions();
