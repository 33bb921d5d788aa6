// How replies leave the edge: written from one flush per loop turn, each corked into a single send. Under
// concurrency a reply written from inside another socket's uWS callback went out uncorked, one syscall (and on
// loopback one TCP segment) per status/header fragment; here every reply must arrive whole in its first read.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { card, startTestApi, type TestApi } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t.close();
});

/** The client half, run in a worker thread: sharing the server's event loop it would only read once the server's
 * writes were all done, and fragments would merge. One keep-alive socket per list; each sends its requests one
 * after another and reports the chunks each response came in. */
const CLIENT = `
const { connect } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { port, lists } = workerData;
const out = [];
let open = lists.length;
lists.forEach((requests, i) => {
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  const responses = (out[i] = []);
  let chunks = [];
  let all = '';
  s.on('data', (d) => {
    chunks.push(d.toString('latin1'));
    all += chunks[chunks.length - 1];
    const head = all.indexOf('\\r\\n\\r\\n');
    const len = /content-length: (\\d+)/i.exec(all);
    if (head < 0 || !len || all.length - head - 4 < Number(len[1])) return;
    responses.push(chunks);
    chunks = [];
    all = '';
    if (responses.length === requests.length) s.end();
    else s.write(requests[responses.length]);
  });
  s.on('close', () => --open === 0 && parentPort.postMessage(out));
  s.on('error', (e) => parentPort.postMessage({ error: String(e) }));
  s.write(requests[0]);
});
`;

function exchange(port: number, lists: string[][]): Promise<string[][][]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, { eval: true, workerData: { port, lists } });
    w.once('message', (m: string[][][] | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    w.once('error', reject);
  });
}

function paymentRequest(key: string, idem: string, amount: number): string {
  const body = JSON.stringify({ amount, currency: 'IDR', card: card() });
  return (
    `POST /v1/payments HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\n` +
    `idempotency-key: ${idem}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

describe('reply writes', () => {
  test('32 sockets × 8 payments in flight together: every reply (status, headers, JSON body) arrives in one piece; a replay too', async () => {
    const port = t.api.port;
    const sockets = 32;
    const each = 8;
    const results = await exchange(
      port,
      Array.from({ length: sockets }, (_, s) => Array.from({ length: each }, (_, j) => paymentRequest(t.key, `reply-${s}-${j}`, 1 + s))),
    );
    const ids = new Set<string>();
    let fragmented = 0;
    results.forEach((responses, s) => {
      expect(responses).toHaveLength(each);
      for (const chunks of responses) {
        const whole = chunks.join('');
        expect(whole.startsWith('HTTP/1.1 201 Created\r\n')).toBe(true);
        if (chunks.length > 1) fragmented++;
        const body = JSON.parse(whole.slice(whole.indexOf('\r\n\r\n') + 4));
        expect(body.amount).toBe(1 + s);
        expect(body.status).toBe('captured');
        ids.add(body.id);
      }
    });
    expect(ids.size).toBe(sockets * each);
    expect(fragmented).toBe(0);

    const [[replay]] = await exchange(port, [[paymentRequest(t.key, 'reply-7-0', 8)]]);
    expect(replay).toHaveLength(1);
    expect(replay[0]).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(replay[0]).toMatch(/\r\nidempotent-replayed: true\r\n/i);
    expect(JSON.parse(replay[0].slice(replay[0].indexOf('\r\n\r\n') + 4)).amount).toBe(8);
  });
});
