// A plain node:http service with nothing but `node --import otel-sessions/register node-http.mjs`.
import http from 'node:http';
import { getSessionId } from 'otel-sessions';
import { listening, port, remember, slowly } from './remember-agent.mjs';

const server = http.createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/chat') {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', async () => {
      const answer = await remember.run(text === '' ? {} : JSON.parse(text));
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ ...answer, sessionId: getSessionId() }));
    });
  } else if (request.url === '/health') {
    response.end('ok');
  } else if (request.url === '/slow') {
    void slowly().then(() => response.end(`slow done ${getSessionId()}`));
  } else {
    response.statusCode = 404;
    response.end();
  }
});
server.listen(port, '127.0.0.1', () => listening(server.address().port));
