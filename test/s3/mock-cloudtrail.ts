import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the CloudTrail and Organizations JSON APIs on 127.0.0.1 (AWS has none to test
 * against): each request's operation (`X-Amz-Target`, after the last dot) and JSON body are
 * recorded, and `answer` says what to send back.
 */
export interface MockCall {
  readonly operation: string;
  readonly body: Record<string, unknown>;
}

export type MockAnswer = { status?: number; body: unknown } | { status: number; error: string; message: string };

export interface MockCloudTrail {
  readonly endpoint: string;
  readonly calls: MockCall[];
  answer: (call: MockCall) => MockAnswer;
  close(): Promise<void>;
}

export async function startMockCloudTrail(answer: (call: MockCall) => MockAnswer): Promise<MockCloudTrail> {
  const calls: MockCall[] = [];
  const mock = { calls, answer } as { calls: MockCall[]; answer: (call: MockCall) => MockAnswer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const text = Buffer.concat(chunks).toString('utf8');
      const call: MockCall = { operation: target.slice(target.lastIndexOf('.') + 1), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      calls.push(call);
      const a = mock.answer(call);
      res.writeHead(a.status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify('error' in a ? { __type: a.error, message: a.message } : a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(mock, {
    endpoint,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
