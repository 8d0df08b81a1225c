/** What was thrown, as an Error (a thrown string or object becomes the message). @internal */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
