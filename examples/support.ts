// Stand-ins for the user's own code that the guide's snippets call but do not define.

/** The guide's `processRequest(input)`: some work that may fail. */
export async function processRequest(input: { fail?: boolean; value?: unknown } = {}): Promise<{ processed: unknown }> {
  await new Promise((resolve) => setTimeout(resolve, 2));
  if (input.fail) throw new Error('upstream timed out');
  return { processed: input.value ?? null };
}

/** The guide's `externalApi`: records what it was sent, as an external service would. */
export const externalApi = {
  received: [] as unknown[],
  async process(payload: unknown): Promise<void> {
    this.received.push(payload);
  },
};
