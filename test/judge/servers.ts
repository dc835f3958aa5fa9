// Real HTTP servers on 127.0.0.1 (ephemeral ports) for the HTTP judge tests: each records the
// requests it got (headers, parsed body) and answers through a handler the test gives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  headers: http.IncomingHttpHeaders;
  body: any;
  path: string;
}

export interface TestServer {
  /** API base, http://127.0.0.1:PORT/v1 */
  url: string;
  seen: Seen[];
  /** most requests open at once */
  maxInFlight: number;
  close(): Promise<void>;
}

export type Handler = (req: Seen, res: http.ServerResponse, n: number) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  let inFlight = 0;
  const srv = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      let body: any = null;
      try { body = JSON.parse(raw); } catch { body = raw; }
      const s: Seen = { headers: req.headers, body, path: req.url ?? '' };
      seen.push(s);
      inFlight++;
      out.maxInFlight = Math.max(out.maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      await handler(s, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  const out: TestServer = {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    maxInFlight: 0,
    close: () => new Promise<void>((resolve) => { srv.closeAllConnections(); srv.close(() => resolve()); }),
  };
  return out;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** a chat-completions answer: content, and top logprobs [token, probability] when given */
export function completion(content: string | null, top?: [string, number][]): unknown {
  const choice: any = { index: 0, message: { role: 'assistant', content }, finish_reason: 'length' };
  if (top) {
    choice.logprobs = { content: [{ token: top[0][0], logprob: Math.log(top[0][1]), top_logprobs: top.map(([token, p]) => ({ token, logprob: Math.log(p) })) }] };
  }
  return { id: 'cmpl-test', object: 'chat.completion', created: 0, model: 'test', choices: [choice] };
}

/** the instruction and responses A and B as the default user message shows them */
export function readPair(body: any): { prompt: string; a: string; b: string } {
  const user: string = body.messages.find((m: any) => m.role === 'user').content;
  const m = /^### Instruction\n([\s\S]*)\n\n### Response A\n([\s\S]*)\n\n### Response B\n([\s\S]*)\n\nWhich response/.exec(user);
  if (!m) throw new Error('unexpected user message: ' + user);
  return { prompt: m[1], a: m[2], b: m[3] };
}
