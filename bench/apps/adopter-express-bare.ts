/**
 * The Express pair's baseline in bench/adopter.ts: the chat route of variant (a) on Express 5
 * under the same bare NodeSDK (bench/apps/bare-sdk.ts), winston JSON lines to stdout, no
 * otel-sessions. Express, winston and the server are loaded after the SDK has started.
 */
import { startBareSdk } from './bare-sdk.js';

const sink = process.env.BENCH_SINK_URL;
if (!sink) throw new Error('adopter-express-bare: BENCH_SINK_URL is not set');
const flush = startBareSdk(
  'bench-adopter',
  `${sink}/${process.env.BENCH_SINK_SEGMENT ?? 'adopter-express-bare'}/v1/traces`,
);

const { default: express } = await import('express');
const { default: winston } = await import('winston');
const { serveListener } = await import('./serve.js');

const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console()],
});

const app = express();
app.use(express.json());
app.post('/chat', (req, res) => {
  const { message } = req.body as { message: string };
  logger.info('Message received', { length: message.length });
  const reply = `You said: ${message}`;
  logger.info('Reply ready', { length: reply.length });
  res.json({ reply });
});
await serveListener(app, { flush });
