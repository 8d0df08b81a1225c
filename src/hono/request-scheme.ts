/**
 * Whether the client reached this service over https: the request URL says so, or, when
 * the proxy in front is trusted, the first value of its `x-forwarded-proto` header does
 * (a TLS-terminating proxy forwards plain http). @internal
 */
export function isHttpsRequest(request: Request, trustProxy: boolean): boolean {
  if (request.url.startsWith('https:')) return true;
  if (!trustProxy) return false;
  const forwarded = request.headers.get('x-forwarded-proto');
  if (forwarded === null) return false;
  const comma = forwarded.indexOf(',');
  return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim().toLowerCase() === 'https';
}
