// Test support for the HTTP API: a small in-memory issuer (a stand-in for the engine in tests that are about
// the HTTP layer, with real balances and holds so decisions depend on the requests), a started API on a
// free port in a temp dir, and a fetch-based client.
import { mkdtempSync, rmSync } from 'node:fs';
import { testHsm } from '../hsm-keys.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authorizer, AuthorizerStats } from '../../src/authorize/index.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { startHttpApi, type HttpApi, type HttpApiOptions } from '../../src/http/server.js';
import { signatureHeader } from '../../src/http/signing.js';

interface Account {
  available: number;
  ledger: number;
  expiry: string;
}

/** Issuer double: cards by PAN with balances; holds by txn id. Every call is recorded for assertions. */
export class LedgerIssuer implements Authorizer {
  readonly accounts = new Map<string, Account>();
  readonly holds = new Map<string, { pan: string; amount: number }>();
  readonly seen: Txn[] = [];
  delayMs = 0;
  fail = false;
  addCard(pan: string, balance: number, expiry = '3012'): void {
    this.accounts.set(pan, { available: balance, ledger: balance, expiry });
  }
  async authorize(txn: Txn): Promise<Decision> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw new Error('engine down');
    this.seen.push(structuredClone(txn));
    const d = (code: string, amount = 0): Decision => ({
      txnId: txn.id,
      responseCode: code,
      approved: code === '00',
      approvedAmount: code === '00' ? amount : 0,
      ...(code === '00' ? { authCode: 'A' + txn.stan.slice(-5) } : {}),
      reasons: [{ check: 'test-issuer', ok: code === '00', detail: code }],
    });
    const acct = txn.pan ? this.accounts.get(txn.pan) : undefined;
    if (!acct) return d('14');
    switch (txn.kind) {
      case 'preauth':
      case 'purchase':
        if (txn.expiry !== acct.expiry) return d('54');
        if (acct.available < txn.amount) return d('51');
        acct.available -= txn.amount;
        if (txn.kind === 'purchase') acct.ledger -= txn.amount;
        else this.holds.set(txn.id, { pan: txn.pan as string, amount: txn.amount });
        return d('00', txn.amount);
      case 'completion': {
        const h = this.holds.get(txn.original?.txnId ?? '');
        if (!h || txn.amount > h.amount) return d('12');
        this.holds.delete(txn.original?.txnId as string);
        acct.available += h.amount - txn.amount;
        acct.ledger -= txn.amount;
        return d('00', txn.amount);
      }
      case 'reversal': {
        const h = this.holds.get(txn.original?.txnId ?? '');
        if (h) {
          this.holds.delete(txn.original?.txnId as string);
          acct.available += h.amount;
        }
        return d('00', txn.amount);
      }
      case 'refund':
        acct.available += txn.amount;
        acct.ledger += txn.amount;
        return d('00', txn.amount);
      default:
        return d('12');
    }
  }
  async authorizeBatch(txns: Txn[]): Promise<Decision[]> {
    return Promise.all(txns.map((t) => this.authorize(t)));
  }
  async sweepExpiredHolds(): Promise<number> {
    return 0;
  }
  stats(): AuthorizerStats {
    return { submitted: this.seen.length, completed: this.seen.length, rejectedSaturated: 0, systemErrors: 0, queueSize: 0, workers: 0, meanBatch: 1, groups: 0, groupTxns: 0, commitMs: 0, flushWaitMs: 0, prepMs: 0, lockMs: 0 };
  }
  async close(): Promise<void> {}
}

export interface TestApi {
  api: HttpApi;
  base: string;
  dir: string;
  issuer: LedgerIssuer;
  key: string;
  signingSecret: string;
  merchantId: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>, key?: string): Promise<{ status: number; headers: Headers; json: any; text: string }>;
  close(): Promise<void>;
}

export const VISA = '4111111111111111';
export const MC = '5555555555554444';

export async function startTestApi(opts: Partial<HttpApiOptions> = {}, authorizer?: Authorizer): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'gerbang-http-'));
  const issuer = new LedgerIssuer();
  issuer.addCard(VISA, 100_000);
  issuer.addCard(MC, 5_000);
  const api = await startHttpApi({ port: 0, authorizer: authorizer ?? issuer, dataDir: dir, dashboard: false, hsm: await testHsm(), ...opts });
  const m = await api.createMerchant({ name: 'Toko Test', id: 'mer_test1' });
  const base = `http://127.0.0.1:${api.port}`;
  const call: TestApi['call'] = async (method, path, body, headers = {}, key = m.apiKey) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: text,
    });
    const t = await res.text();
    let json: any;
    try {
      json = JSON.parse(t);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text: t };
  };
  return {
    api,
    base,
    dir,
    issuer,
    key: m.apiKey,
    signingSecret: m.signingSecret,
    merchantId: m.merchant.id,
    call,
    async close() {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function signed(secret: string, body: string, t?: number): Record<string, string> {
  return { 'gerbang-signature': signatureHeader(secret, body, t) };
}

export const card = (number = VISA, extra: Record<string, unknown> = {}) => ({ number, exp_month: 12, exp_year: 2030, ...extra });
