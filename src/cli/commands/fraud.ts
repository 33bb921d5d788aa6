// `gerbang fraud synth | train | eval`: the synthetic data generator, the trainer and an evaluator of a model file.
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError, wantsHelp, type Command } from '../command.js';
import { defaultFraudConfig, validateFraudConfig } from '../../fraud/config.js';
import { buildDataset, evaluate, scoreRows, toModelFile, train, type EvalReport } from '../../fraud/train.js';
import { synthesize, synthSummary } from '../../fraud/synth.js';
import type { FraudConfig } from '../../fraud/types.js';
import { REVIEW_OUTCOMES, ReviewQueue, type ReviewItem, type ReviewOutcome } from '../../fraud/review.js';
import { openSwitchStore } from '../../runtime/store.js';
import { blockCard } from '../../state/cards.js';
import { closeState, openState, unlockState } from '../../state/env.js';
import { withCliHsm } from '../hsm-link.js';
import { parseFlags } from '../command.js';

/** The committed model file in the source tree (dist/src/cli/commands → repo root). */
const defaultModelPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'src', 'fraud', 'model.json');

const help = `Usage: gerbang fraud <synth|train|eval|review> [options]

  gerbang fraud review [list] [--limit N] [--data DIR] [--json]
  gerbang fraud review show TXN_ID [--data DIR]
  gerbang fraud review resolve TXN_ID --outcome legit|fraud --by NAME [--note TEXT] [--data DIR] [--hsm HOST:PORT]
      The review queue: approvals the fraud score flagged for review (masked PAN, amount, score and why), oldest
      first; resolving one records who, when and why. --outcome fraud also blocks the card (declined 62 from
      then on; a lost/stolen status is kept). Works on a running switch's data dir (default ./data); blocking
      opens the card state with its keys from the HSM (--hsm or env GERBANG_HSM; default a simulator in-process).

  gerbang fraud synth [--seed N] [--cards N] [--days N] [--out FILE]
      Writes labelled synthetic card traffic as JSON lines ({now, card, fraud, pattern, approved, txn}); a
      per-pattern summary goes to stderr. Cards carry tokens, never PANs.
  gerbang fraud train [--seed N] [--cards N] [--days N] [--iterations N] [--l2 X] [--out FILE] [--json]
      Generates data, trains the logistic model (held-out cards: 30%), picks the decline threshold at 90%
      training precision and the review threshold at 30%, reports held-out AUC / precision / recall and writes
      the model file (default: src/fraud/model.json in the repo; rebuild to ship it).
  gerbang fraud eval [--model FILE] [--seed N] [--cards N] [--days N] [--json]
      Scores fresh synthetic data (another seed) with a model file (default: the shipped model).

Defaults: --seed 1 --cards 3000 --days 90 (eval: --seed 1001 --cards 1500). With --json the last line of
output is one JSON object: {"auc":…,"precisionAtDecline":…,"recallAtDecline":…,"precisionAtReview":…,…}.`;

interface Args {
  flags: Map<string, string>;
  json: boolean;
}

const VALUE_FLAGS = new Set(['--seed', '--cards', '--days', '--out', '--iterations', '--l2', '--model']);

function parse(argv: string[]): Args | string {
  const flags = new Map<string, string>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (VALUE_FLAGS.has(a)) {
      const v = argv[++i];
      if (v === undefined) return `${a} needs a value`;
      flags.set(a, v);
    } else return `unknown option '${a}'`;
  }
  return { flags, json };
}

function intFlag(a: Args, name: string, def: number, lo: number, hi: number): number {
  const v = a.flags.get(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`${name} must be an integer ${lo}..${hi}, got '${v}'`);
  return n;
}

class UsageError extends Error {}

function headline(r: EvalReport, decline: number, review: number): Record<string, number> {
  return {
    auc: r.auc,
    precisionAtDecline: r.decline.precision,
    recallAtDecline: r.decline.recall,
    precisionAtReview: r.review.precision,
    recallAtReview: r.review.recall,
    declineThreshold: decline,
    reviewThreshold: review,
    events: r.events,
    frauds: r.frauds,
  };
}

function printReport(label: string, r: EvalReport): void {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  process.stdout.write(
    `${label}: ${r.events} events, ${r.frauds} fraud; AUC ${r.auc.toFixed(4)}\n` +
      `  decline ≥ ${r.decline.threshold}: precision ${pct(r.decline.precision)}, recall ${pct(r.decline.recall)}, ` +
      `false-positive rate ${pct(r.decline.falsePositiveRate)}\n` +
      `  review  ≥ ${r.review.threshold}: precision ${pct(r.review.precision)}, recall ${pct(r.review.recall)}, ` +
      `false-positive rate ${pct(r.review.falsePositiveRate)}\n` +
      `  recall at review by pattern: ${Object.entries(r.recallByPattern).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}\n`,
  );
}

async function synth(a: Args): Promise<number> {
  const seed = intFlag(a, '--seed', 1, 0, 2 ** 32 - 1);
  const cards = intFlag(a, '--cards', 3000, 1, 1_000_000);
  const days = intFlag(a, '--days', 90, 1, 3650);
  const data = synthesize({ seed, cards, days });
  const out = a.flags.get('--out');
  const stream: NodeJS.WritableStream = out ? createWriteStream(out) : process.stdout;
  // A closed reader (`| head`) or a full disk stops the output; it is reported once, not thrown.
  let failed: Error | undefined;
  const onError = (err: Error) => {
    failed ??= err;
  };
  stream.on('error', onError);
  const settled = () =>
    new Promise<void>((resolveWait) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('error', done);
        stream.off('close', done);
        resolveWait();
      };
      stream.once('drain', done);
      stream.once('error', done);
      stream.once('close', done);
    });
  for (const e of data.events) {
    if (failed) break;
    const line = JSON.stringify({ now: e.now, card: e.card, fraud: e.fraud, pattern: e.pattern, approved: e.approved, txn: e.txn }) + '\n';
    if (!stream.write(line)) await settled();
  }
  if (out && !failed) await new Promise<void>((r) => stream.end(() => r()));
  if (failed && (failed as NodeJS.ErrnoException).code !== 'EPIPE') {
    process.stderr.write(`gerbang fraud synth: cannot write: ${failed.message}\n`);
    return 1;
  }
  process.stderr.write(`synth: ${data.events.length} events for ${cards} cards over ${days} days: ${JSON.stringify(synthSummary(data))}\n`);
  return 0;
}

async function trainCmd(a: Args): Promise<number> {
  const opts = {
    seed: intFlag(a, '--seed', 1, 0, 2 ** 32 - 1),
    cards: intFlag(a, '--cards', 3000, 50, 200_000),
    days: intFlag(a, '--days', 90, 7, 3650),
    iterations: intFlag(a, '--iterations', 300, 1, 10_000),
    l2: a.flags.has('--l2') ? Number(a.flags.get('--l2')) : 1e-4,
    learningRate: 0.1,
  };
  if (!(opts.l2 >= 0 && opts.l2 < 10)) throw new UsageError(`--l2 must be a number 0..10`);
  const r = train(opts);
  const file = toModelFile(r, opts);
  const out = resolve(a.flags.get('--out') ?? defaultModelPath);
  writeFileSync(out, JSON.stringify(file, null, 1) + '\n');
  process.stdout.write(`trained on seed ${opts.seed}, ${opts.cards} cards × ${opts.days} days in ${r.millis} ms; events ${JSON.stringify(r.summary)}\n`);
  printReport('training split', r.train);
  printReport('held-out cards', r.heldOut);
  process.stdout.write(`model written to ${out}\n`);
  if (a.json) process.stdout.write(JSON.stringify(headline(r.heldOut, r.declineThreshold, r.reviewThreshold)) + '\n');
  return 0;
}

async function evalCmd(a: Args): Promise<number> {
  const seed = intFlag(a, '--seed', 1001, 0, 2 ** 32 - 1);
  const cards = intFlag(a, '--cards', 1500, 50, 200_000);
  const days = intFlag(a, '--days', 90, 7, 3650);
  let config: FraudConfig = defaultFraudConfig;
  const path = a.flags.get('--model');
  if (path !== undefined) {
    let m: ReturnType<typeof toModelFile>;
    try {
      m = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read model file ${path}: ${(e as Error).message}`);
    }
    config = { ...defaultFraudConfig, declineThreshold: m.declineThreshold, reviewThreshold: m.reviewThreshold, model: m };
    try {
      validateFraudConfig(config);
    } catch (e) {
      throw new UsageError(`${path}: ${(e as Error).message}`);
    }
  }
  const ds = buildDataset(synthesize({ seed, cards, days }), config);
  const r = evaluate(scoreRows(ds, config.model), config.declineThreshold, config.reviewThreshold);
  printReport(`seed ${seed}, ${cards} cards × ${days} days`, r);
  if (a.json) process.stdout.write(JSON.stringify(headline(r, config.declineThreshold, config.reviewThreshold)) + '\n');
  return 0;
}

function itemLine(i: ReviewItem): string {
  const when = new Date(i.at).toISOString();
  const res = i.resolution ? ` ${i.status} by ${i.resolution.by} at ${new Date(i.resolution.at).toISOString()}${i.resolution.note ? ` (${i.resolution.note})` : ''}` : '';
  return `${i.txnId}  ${when}  ${i.panMasked ?? '-'}  ${i.amount} ${i.currency}  score ${i.score}  ${i.merchantId ?? '-'}  ${i.why.join('; ')}${res}`;
}

/**
 * A fraud verdict blocks the card the item names. The verdict is already recorded, so a card that cannot be
 * blocked here (an item from before cards were named, a card not in this data dir) is a warning, not a failure.
 */
async function blockReviewedCard(dataDir: string, r: ReviewItem, hsmAddr: string | undefined): Promise<number> {
  const warn = (why: string) => (process.stderr.write(`gerbang: verdict recorded, card not blocked: ${why}\n`), 0);
  if (!r.cardRef) return warn(`review item ${r.txnId} does not name its card`);
  await withCliHsm(hsmAddr, (hsm) => unlockState(dataDir, hsm));
  const s = openState(dataDir);
  try {
    const c = await blockCard(s, r.cardRef);
    if (!c) return warn(`the card of review item ${r.txnId} is not in ${dataDir}`);
    process.stdout.write(c.was === c.now ? `card ${c.panMasked} already ${c.now}\n` : `card ${c.panMasked} blocked (was ${c.was})\n`);
    return 0;
  } finally {
    await closeState(s);
  }
}

async function reviewCmd(argv: string[]): Promise<number> {
  const p = parseFlags(argv, { valued: ['--limit', '--data', '--outcome', '--by', '--note', '--hsm'], bools: ['--json'] });
  if (typeof p === 'string') throw new UsageError(p);
  const [action = 'list', id, ...extra] = p.positional;
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const one = (f: string) => p.flags.get(f)?.at(-1);
  const store = openSwitchStore(resolve(one('--data') ?? 'data'));
  try {
    const q = new ReviewQueue(store);
    if (action === 'list') {
      const limit = Number(one('--limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be an integer 1..10000');
      const items = q.listOpen(limit);
      const open = q.refresh();
      for (const i of items) process.stdout.write(itemLine(i) + '\n');
      process.stdout.write(`${open} open for review${items.length ? '' : ' (nothing to show)'}\n`);
      if (p.bools.has('--json')) process.stdout.write(JSON.stringify({ open, items }) + '\n');
      return 0;
    }
    if (!id) throw new UsageError(`review ${action} needs a transaction id`);
    if (action === 'show') {
      const i = q.get(id);
      if (!i) return (process.stderr.write(`gerbang: no review item ${id}\n`), 1);
      process.stdout.write(JSON.stringify(i, null, 2) + '\n');
      return 0;
    }
    if (action === 'resolve') {
      const outcome = one('--outcome') as ReviewOutcome | undefined;
      if (!outcome || !REVIEW_OUTCOMES.includes(outcome)) throw new UsageError(`--outcome must be ${REVIEW_OUTCOMES.join(' or ')}`);
      const by = one('--by');
      if (!by) throw new UsageError('--by NAME is required (every resolution is audited)');
      try {
        const r = await q.resolve(id, outcome, by, one('--note') ?? '');
        process.stdout.write(itemLine(r) + '\n');
        if (outcome === 'fraud') return await blockReviewedCard(resolve(one('--data') ?? 'data'), r, one('--hsm'));
        return 0;
      } catch (e) {
        process.stderr.write(`gerbang: ${(e as Error).message}\n`);
        return 1;
      }
    }
    throw new UsageError(`unknown review action '${action}'`);
  } finally {
    await store.close();
  }
}

export const command: Command = {
  name: 'fraud',
  summary: 'the fraud review queue; synthetic fraud data, model training and evaluation',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const [sub, ...rest] = argv;
    if (sub === 'review') {
      try {
        return await reviewCmd(rest);
      } catch (e) {
        if (e instanceof UsageError) return usageError(e.message, help);
        throw e;
      }
    }
    const a = parse(rest);
    if (typeof a === 'string') return usageError(a, help);
    try {
      if (sub === 'synth') return await synth(a);
      if (sub === 'train') return await trainCmd(a);
      if (sub === 'eval') return await evalCmd(a);
      return usageError(sub ? `unknown fraud command '${sub}'` : 'fraud needs a sub-command', help);
    } catch (e) {
      if (e instanceof UsageError) return usageError(e.message, help);
      throw e;
    }
  },
};
