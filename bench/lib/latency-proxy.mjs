// A TCP proxy that delays each direction by a set number of milliseconds (issue 15): between the
// bench's clients (trailproof, the raw loop, the AWS CLI) and the test S3 server, it stands for the
// network between a client and S3 (S3's time to first byte inside AWS is ~10 ms each way). It also
// records when the first bytes of a client arrive after a `mark`: the bench's "first S3 request".
//
// It runs as its own process (forked with an IPC channel: `startLatencyProxy`), so that its work
// is not counted to either side and does not steal the measured process's event loop.
//
//   const proxy = await startLatencyProxy({ host: '127.0.0.1', port: 7480, delayMs: 10 });
//   proxy.endpoint                       // http://127.0.0.1:<port>
//   await proxy.mark();                  // forget the first request seen so far
//   await proxy.firstRequestAt();        // epoch ms (sub-ms) of the first client bytes since the mark, or null
//   await proxy.close();
import { fork } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** Starts the proxy process; resolves once it listens. */
export function startLatencyProxy({ host, port, delayMs }) {
  const child = fork(SELF, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      w(m);
    }
  });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ ...message, id }, (err) => err && reject(err));
    });
  return ask({ op: 'listen', host, port, delayMs }).then((m) => ({
    endpoint: `http://127.0.0.1:${m.port}`,
    port: m.port,
    delayMs,
    mark: () => ask({ op: 'mark' }).then(() => undefined),
    firstRequestAt: () => ask({ op: 'first' }).then((r) => r.at),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  }));
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived (order kept: the delay is constant). */
function delayedPipe(from, to, delayMs) {
  if (delayMs === 0) {
    from.pipe(to);
    return;
  }
  const queue = [];
  let timer = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, queue[0].at - now);
  };
  const push = (chunk) => {
    queue.push({ at: performance.now() + delayMs, chunk });
    if (timer === null) timer = setTimeout(flush, delayMs);
  };
  from.on('data', push);
  from.on('end', () => push(null));
}

function child() {
  let firstAt = null;
  let server;
  process.on('message', (m) => {
    if (m.op === 'listen') {
      server = createServer({ noDelay: true }, (client) => {
        const upstream = createConnection({ host: m.host, port: m.port, noDelay: true });
        client.once('data', () => {
          if (firstAt === null) firstAt = performance.timeOrigin + performance.now();
        });
        const stop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', stop);
        upstream.on('error', stop);
        client.on('close', stop);
        upstream.on('close', stop);
        delayedPipe(client, upstream, m.delayMs);
        delayedPipe(upstream, client, m.delayMs);
      });
      server.listen(0, '127.0.0.1', () => process.send({ id: m.id, port: server.address().port }));
    } else if (m.op === 'mark') {
      firstAt = null;
      process.send({ id: m.id });
    } else if (m.op === 'first') {
      process.send({ id: m.id, at: firstAt });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--child') child();
