/**
 * The value of cookie `name` in a request's `Cookie` header: the first one of that name,
 * trimmed, without its double quotes, not decoded. Only what it needs is read: Hono's
 * `getCookie` parses and checks every cookie of the header, which costs a loaded server several
 * times this lookup (the thread token needs no decoding: a value that is not a token fails its
 * signature check all the same). @internal
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || !header.includes(name)) return undefined;
  for (let from = 0; from < header.length;) {
    const semicolon = header.indexOf(';', from);
    const to = semicolon === -1 ? header.length : semicolon;
    const equals = header.indexOf('=', from);
    if (equals !== -1 && equals < to && header.slice(from, equals).trim() === name) {
      const value = header.slice(equals + 1, to).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    from = to + 1;
  }
  return undefined;
}
