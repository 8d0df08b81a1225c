/**
 * Runs BENCH_WORKERS processes of one bench app (BENCH_WORKER_SCRIPT, e.g. `adopter-agent.ts`)
 * with node:cluster: the primary hands connections to the workers in turn (round-robin, the
 * default on Linux), and speaks bench/apps/protocol.ts to the benchmark for them all: `ready`
 * once every worker listens (on one port), `usage` summed over the workers and itself,
 * `flush` once every worker flushed. Workers inherit the environment (journal folder, store)
 * and get BENCH_WORKER_EXEC_ARGV's Node options (the register entry), so they start as the
 * single-process variant does; the primary runs no telemetry.
 */
import cluster, { type Worker } from 'node:cluster';
import { onParentMessage, tell, type ChildMessage, type ParentMessage } from './protocol.js';

if (cluster.isPrimary) {
  const count = Number(process.env.BENCH_WORKERS ?? 2);
  cluster.setupPrimary({
    exec: new URL(`./${process.env.BENCH_WORKER_SCRIPT ?? 'adopter-agent.ts'}`, import.meta.url).pathname,
    // The workers start as the single-process variant does (its register entry); the primary only hands out connections.
    execArgv: JSON.parse(process.env.BENCH_WORKER_EXEC_ARGV ?? '["--import","tsx"]') as string[],
  });
  const workers: Worker[] = Array.from({ length: count }, () => cluster.fork());
  const ports = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<number>((resolve) => {
          worker.on('message', (message: ChildMessage) => {
            if (message.type === 'ready') resolve(message.port);
          });
        }),
    ),
  );
  if (new Set(ports).size !== 1) throw new Error(`cluster: workers listen on different ports: ${ports.join(', ')}`);

  /** Sends `message` to every worker and gathers one answer of each. */
  const askAll = (message: ParentMessage & { id: number }): Promise<ChildMessage[]> =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<ChildMessage>((resolve) => {
            const onMessage = (answer: ChildMessage): void => {
              if (answer.type === 'ready' || answer.id !== message.id) return;
              worker.off('message', onMessage);
              resolve(answer);
            };
            worker.on('message', onMessage);
            worker.send(message);
          }),
      ),
    );

  onParentMessage((message) => {
    if (message.type === 'stop') {
      for (const worker of workers) worker.kill();
      process.exit(0);
    }
    if (message.type === 'usage')
      void askAll(message).then((answers) => {
        const { user, system } = process.cpuUsage();
        let cpuMicros = user + system;
        let requests = 0;
        for (const answer of answers)
          if (answer.type === 'usage') {
            cpuMicros += answer.cpuMicros;
            requests += answer.requests;
          }
        tell({ type: 'usage', id: message.id, cpuMicros, requests });
      });
    if (message.type === 'flush')
      void askAll(message).then((answers) => {
        const failed = answers.find((answer) => answer.type === 'flushed' && answer.error);
        tell({ type: 'flushed', id: message.id, ...(failed?.type === 'flushed' ? { error: failed.error } : {}) });
      });
  });
  tell({ type: 'ready', port: ports[0]! });
}
