// The statement inbox: bank and network files are reconciled as they arrive. A directory is polled; each new
// camt.052/053/054, pain.002 or clearing CSV dropped there is reconciled once, recorded in `processed.jsonl`
// (name, size, sha256, kind, outcome) and moved to `done/` — or, when it cannot be read, to `failed/` beside a
// `<name>.error.txt`. Writers should drop files by rename; a file still growing (size or mtime changed since
// the last look) waits for the next poll. Files are handled one at a time, in name order.
// Crash safety: the record is appended (and fsynced) before the move, so a file found again whose sha256 is
// already recorded is only moved, never reconciled twice. pain.002 reports in done/ take the payouts they
// rejected out of what later statements must show.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, fsyncSync, readSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPain002 } from '../settlement/iso20022/pain002.js';
import { reconcile, type ReconOutput } from './run.js';
import type { MatchRules, SwitchItem } from './types.js';

export type InboxKind = 'statement' | 'clearing' | 'status';

export interface InboxResult {
  name: string;
  kind?: InboxKind;
  sha256: string;
  size: number;
  status: 'done' | 'failed' | 'duplicate';
  at: string;
  error?: string;
  /** Statements and clearing files: the reconciliation's output. */
  output?: ReconOutput;
}

export interface InboxOptions {
  /** What statements must show / clearing files must list, read when a file is reconciled (they change). */
  bankSide: () => SwitchItem[] | Promise<SwitchItem[]>;
  clearingSide?: () => SwitchItem[] | Promise<SwitchItem[]>;
  rules?: Partial<MatchRules>;
  /** YYYY-MM-DD the windows are judged on (default: today, UTC). */
  asOf?: () => string;
  /** Called once per file handled (persist breaks, write the report, update gauges…). */
  onResult?: (r: InboxResult) => void | Promise<void>;
  /** One line per file handled or failed (default: stderr). */
  log?: (line: string) => void;
  pollMs?: number;
  /** Files bigger than this go to failed/ unread (default 4 GiB). */
  maxFileBytes?: number;
}

export interface Inbox {
  /** Stops polling; resolves once the file being handled (if any) is done. */
  close(): Promise<void>;
}

/** Files looked at per poll: bounds one scan of a directory someone filled with junk. */
const MAX_FILES_PER_SCAN = 1_000;
/** pain.002 reports applied to later statements: the newest ones. */
const MAX_STATUS_REPORTS = 200;
const LEDGER = 'processed.jsonl';

/** What a file is, from its name and its first bytes (the message root element). */
export function inboxKind(name: string, head: string): InboxKind | undefined {
  if (/\.csv$/i.test(name)) return 'clearing';
  if (/<(\w+:)?(BkToCstmrStmt|BkToCstmrDbtCdtNtfctn|BkToCstmrAcctRpt)[\s>]/.test(head)) return 'statement';
  if (/<(\w+:)?CstmrPmtStsRpt[\s>]/.test(head)) return 'status';
  return undefined;
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** The first 4 KiB of a file, as text (enough to see the message root). */
function headOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

function appendDurably(path: string, line: string): void {
  appendFileSync(path, line + '\n');
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function watchInbox(dir: string, o: InboxOptions): Inbox {
  const done = join(dir, 'done');
  const failed = join(dir, 'failed');
  mkdirSync(done, { recursive: true });
  mkdirSync(failed, { recursive: true });
  const ledger = join(dir, LEDGER);
  const seen = new Set<string>();
  if (existsSync(ledger)) {
    for (const line of readFileSync(ledger, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as { sha256?: string; status?: string };
        if (r.sha256 && r.status !== 'failed') seen.add(r.sha256);
      } catch {
        // A torn last line (crash while appending): that file is simply handled again.
      }
    }
  }
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const pollMs = o.pollMs ?? 1_000;
  const maxBytes = o.maxFileBytes ?? 4 * 2 ** 30;
  const lastLook = new Map<string, string>();
  const statusReports: string[] = readdirSync(done).filter((f) => /\.xml$/i.test(f)).map((f) => join(done, f)).filter((p) => inboxKind(p, headOf(p)) === 'status').slice(-MAX_STATUS_REPORTS);
  let closed = false;
  let busy: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const finishFile = async (name: string, r: InboxResult, to: string) => {
    appendDurably(ledger, JSON.stringify({ name: r.name, kind: r.kind, sha256: r.sha256, size: r.size, status: r.status, at: r.at, error: r.error, summary: r.output?.report.summary }));
    if (r.status !== 'failed') seen.add(r.sha256);
    let target = join(to, name);
    if (existsSync(target)) target = join(to, `${r.at.replace(/[:.]/g, '-')}-${name}`);
    renameSync(join(dir, name), target);
    if (r.status === 'failed') writeFileSync(target + '.error.txt', (r.error ?? '') + '\n');
    if (r.kind === 'status' && r.status === 'done') {
      statusReports.push(target);
      if (statusReports.length > MAX_STATUS_REPORTS) statusReports.shift();
    }
    log(`recon inbox: ${name} ${r.kind ?? 'unknown'} ${r.status}${r.error ? `: ${r.error}` : ''}`);
    await o.onResult?.(r);
  };

  const handle = async (name: string, size: number): Promise<void> => {
    const path = join(dir, name);
    const at = new Date().toISOString();
    const sha256 = await sha256Of(path);
    const base: InboxResult = { name, sha256, size, status: 'done', at };
    if (seen.has(sha256)) return finishFile(name, { ...base, status: 'duplicate' }, done);
    try {
      if (size > maxBytes) throw new Error(`file of ${size} bytes is over the ${maxBytes}-byte limit`);
      const kind = inboxKind(name, headOf(path));
      if (!kind) throw new Error('not a camt.052/053/054, pain.002 or clearing CSV file');
      base.kind = kind;
      if (kind === 'status') {
        await readPain002(path); // validated now; applied to later statements
        return finishFile(name, base, done);
      }
      const asOf = o.asOf?.() ?? at.slice(0, 10);
      const output =
        kind === 'statement'
          ? await reconcile({ statements: [path], statusReports: [...statusReports], bankSide: await o.bankSide(), rules: o.rules, asOf })
          : await reconcile({ statements: [], clearing: [path], clearingSide: (await o.clearingSide?.()) ?? [], bankSide: [], rules: o.rules, asOf });
      return finishFile(name, { ...base, output }, done);
    } catch (e) {
      return finishFile(name, { ...base, status: 'failed', error: (e as Error).message }, failed);
    }
  };

  const scan = async (): Promise<void> => {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => !n.startsWith('.') && n !== LEDGER).sort().slice(0, MAX_FILES_PER_SCAN);
    } catch (e) {
      log(`recon inbox: cannot list ${dir}: ${(e as Error).message}`);
      return;
    }
    for (const name of names) {
      if (closed) return;
      let st;
      try {
        st = statSync(join(dir, name));
      } catch {
        continue; // gone meanwhile
      }
      if (!st.isFile()) continue;
      // Complete only when unchanged since the previous look.
      const look = `${st.size}:${st.mtimeMs}`;
      if (lastLook.get(name) !== look) {
        lastLook.set(name, look);
        continue;
      }
      lastLook.delete(name);
      await handle(name, st.size);
    }
    if (lastLook.size > MAX_FILES_PER_SCAN) lastLook.clear();
  };

  const tick = () => {
    if (closed) return;
    busy = scan()
      .catch((e) => log(`recon inbox: ${(e as Error).message}`))
      .finally(() => {
        busy = undefined;
        if (!closed) timer = setTimeout(tick, pollMs);
      });
  };
  timer = setTimeout(tick, 0);

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await busy;
    },
  };
}
