// Garbage in, error code out: random field strings for every command never throw, never answer 00 for nonsense keys,
// and the server keeps serving after a storm of random frames.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS, createCtx, execute, type Ctx } from '../../hsm-sim/commands.js';
import { LmkKeys } from '../../hsm-sim/keys.js';
import { testLmk } from '../../hsm-sim/crypto/index.js';
import { startHsmServer } from '../../hsm-sim/server.js';
import { formKey, frame, RawConn } from './helpers.js';

const ctx: Ctx = createCtx(new LmkKeys(testLmk()), true);
const codes = Object.keys(COMMANDS);

describe('fuzz', () => {
  it('execute() answers every random request with its response code and a 2-character error code', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.string({ maxLength: 200 }), (cmd, fields) => {
        const r = execute(cmd + fields, ctx);
        expect(r.response.slice(0, 1)).toBe(cmd[0]);
        expect(r.response.slice(2, 4)).toMatch(/^[0-9A-Z]{2}$/);
        expect(r.response.slice(2, 4)).toBe(r.code);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes after a valid CVK in CW/CY/CA never crash and never verify', () => {
    const cvk = formKey('CVK', '0123456789ABCDEFFEDCBA9876543210');
    fc.assert(
      fc.property(fc.constantFrom('CW', 'CY', 'CA', 'KQ', 'M6'), fc.uint8Array({ maxLength: 120 }), (cmd, bytes) => {
        const r = execute(cmd + cvk + Buffer.from(bytes).toString('latin1'), ctx);
        if (cmd !== 'CW') expect(r.code).not.toBe('00');
      }),
      { numRuns: 2000 },
    );
  });

  it('a storm of random frames on one connection leaves the server answering another', async () => {
    const server = await startHsmServer({ port: 0, log: () => {} });
    try {
      const junk = new RawConn(server.port);
      const frames = fc.sample(fc.tuple(fc.constantFrom(...codes, 'ZZ', '\u0000\u0001'), fc.string({ maxLength: 300 })), 500);
      junk.write(Buffer.concat(frames.map(([c, f]) => frame('0000' + c + f))));
      const answers = await junk.read(500);
      expect(answers).toHaveLength(500);
      junk.end();
      const good = new RawConn(server.port);
      expect(await good.request('0000NC')).toMatch(/^0000ND00[0-9A-F]{16}/);
      good.end();
    } finally {
      await server.close();
    }
  });
});
