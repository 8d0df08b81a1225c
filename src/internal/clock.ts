/** Milliseconds since the epoch; injectable so that tests can move time. */
export type Clock = () => number;

/** The wall clock. */
export const systemClock: Clock = () => Date.now();
