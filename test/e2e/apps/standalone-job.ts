/**
 * A script, not a server: one standalone `agent.run()` (a job) that takes about 1.5 s, with
 * background work handed to `waitUntil`. It prints `RUNNING <sessionId>` once the job is
 * under way, so that a test can send SIGTERM while it is in flight. Run it as
 * `node --import otel-sessions/register --import tsx standalone-job.ts`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAgent } from 'otel-sessions';

const JOB_MS = Number(process.env.JOB_MS ?? 1500);

const job = createAgent('NightlyJob', {
  handler: async (ctx) => {
    ctx.logger.info('Job started');
    process.stdout.write(`RUNNING ${ctx.sessionId}\n`);
    await sleep(JOB_MS);
    ctx.waitUntil(async () => {
      await sleep(200);
      ctx.logger.info('Background work done');
    });
    ctx.logger.info('Job finished');
    return { sessionId: ctx.sessionId };
  },
});

const { sessionId } = await job.run({});
process.stdout.write(`DONE ${sessionId}\n`);
