/**
 * echo-service's preload (`node --import tsx --import ./echo-register.ts echo-service.ts`):
 * registers sessions with an HTTP edge that trusts its callers' baggage, as an internal
 * service reachable from trusted services alone may.
 */
import { registerSessions } from 'otel-sessions';

registerSessions({ edge: { trustInbound: () => true } });
