/**
 * `node --import otel-sessions/register app.js` (or `--require` for CommonJS): starts
 * OpenTelemetry with sessions before the app loads, configured from the environment.
 */
import { registerSessions } from './runtime/register-sessions.js';

registerSessions();
