import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });

/**
 * POSTs `body` and resolves the response status once the response has been read. Rejects
 * on a network error or when no answer came within `timeoutMs`. Plain `node:http`, with
 * kept-alive sockets: cheaper per request than `fetch`, and exporting is all this does.
 */
export function httpPost(
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
): Promise<number> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...headers, 'content-length': String(body.byteLength) },
        timeout: timeoutMs,
      },
      (response: IncomingMessage) => {
        response.on('error', reject);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.resume();
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
