/**
 * `text` (a URL, or what was meant as one) with any user name and password masked, for error
 * and warning messages: the part before the first `@` of its authority becomes `***`.
 * @internal
 */
export function withoutCredentials(text: string): string {
  return text.replace(/[^@/]*@/, '***@');
}
