import { describe, expect, it } from 'vitest';
import { parseClearing } from '../../src/recon/clearing.js';
import { collect } from './helpers.js';

const HEAD = 'record_id,amount,currency,cleared_date,kind,arn\n';

describe('clearing CSV on bytes', () => {
  it('reads byte chunks cut anywhere (mid-line, mid-character) the same as the whole file, quoted or not', async () => {
    const csv = HEAD + 'T1:purchase,150000,360,2026-11-23,purchase,ARN1\r\n"Zürich, 2",2500,978,2026-11-24,refund,"A ""q"""\nT3:advice,7,idr,2026-11-25,,\n€-4,9,USD,2026-11-25,chargeback,Ä\n';
    const bytes = Buffer.from(csv, 'utf8');
    const whole = (await collect(parseClearing([bytes], { source: 'c.csv' }))).flat();
    expect(whole.map((b) => [b.refs, b.amount, b.currency, b.cdi, b.date, b.key, b.label])).toEqual([
      [['T1:purchase', 'ARN1'], 150000, 'IDR', 'CRDT', '2026-11-23', 'c.csv#2', 'line 2 purchase'],
      [['Zürich, 2', 'A "q"'], 2500, 'EUR', 'DBIT', '2026-11-24', 'c.csv#3', 'line 3 refund'],
      [['T3:advice'], 7, 'IDR', 'CRDT', '2026-11-25', 'c.csv#4', 'line 4 purchase'],
      [['€-4', 'Ä'], 9, 'USD', 'DBIT', '2026-11-25', 'c.csv#5', 'line 5 chargeback'],
    ]);
    for (const n of [1, 3, 17]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += n) chunks.push(bytes.subarray(i, i + n));
      expect((await collect(parseClearing(chunks, { source: 'c.csv' }))).flat()).toEqual(whole);
    }
  });

  it('names the line and the field of bad input on the byte path', async () => {
    const one = (line: string) => collect(parseClearing([Buffer.from(HEAD + 'OK,1,360,2026-11-23,purchase,\n' + line + '\n')], { source: 'c.csv' }));
    await expect(one('A,0,360,2026-11-23,purchase,')).rejects.toThrow(/c\.csv: line 3: amount "0" must be a positive integer/);
    await expect(one('A,1e5,360,2026-11-23,purchase,')).rejects.toThrow(/line 3: amount "1e5"/);
    await expect(one(',1,360,2026-11-23,purchase,')).rejects.toThrow(/line 3: record_id is empty/);
    await expect(one('A,1,361,2026-11-23,purchase,')).rejects.toThrow(/line 3: unknown currency "361"/);
    await expect(one('A,1,360,2026-11-3,purchase,')).rejects.toThrow(/line 3: cleared_date "2026-11-3"/);
    await expect(one('A,1,360,2026-11-23,purchases,')).rejects.toThrow(/line 3: unknown kind "purchases"/);
    await expect(one('A,1,360')).rejects.toThrow(/line 3: cleared_date "undefined"/);
    await expect(one('A,1,360,2026-11-23,purchase,"open')).rejects.toThrow(/line 3: unterminated quote/);
    await expect(one('A'.repeat(5000))).rejects.toThrow(/line 3 is longer than 4096 bytes/);
  });
});
