/** A function that runs `settle` on its first call and returns that same value ever after. @internal */
export function once<T>(settle: () => T): () => T {
  let settled: { value: T } | undefined;
  return () => (settled ??= { value: settle() }).value;
}
