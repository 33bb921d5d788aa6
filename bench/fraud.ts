// Fraud scoring cost: scoreTxn against realistic profiles (built from synthetic traffic), the profile updates the
// engine runs in its commit, and the msgpack size / round trip of a card profile as stored in LMDB.
// Single thread; the machine is shared, so each figure is the median of several timed runs.
// Usage: node dist/bench/fraud.js [--json] [--runs N]   (--json: last line is the headline object)
import { pack, unpack } from 'msgpackr';
import { defaultFraudConfig, emptyCardProfile, emptyMerchantProfile, scoreTxn, updateCardProfile, updateMerchantProfile } from '../src/fraud/index.js';
import type { CardContext, CardProfile, MerchantProfile } from '../src/fraud/index.js';
import { synthesize } from '../src/fraud/synth.js';
import type { Txn } from '../src/model/txn.js';
import { median, writeResults } from './lib/results.js';

const json = process.argv.includes('--json');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Math.max(1, Math.min(50, Number(process.argv[runsArg + 1]) || 5)) : 5;
const RUN_MS = 1_000;

const log = (s: string) => process.stdout.write(s + '\n');

// Realistic state: 2,000 cards over 60 days, every event folded in as the engine would.
const data = synthesize({ seed: 99, cards: 2000, days: 60 });
const profiles: CardProfile[] = data.cards.map(() => emptyCardProfile());
const merchants = new Map<string, MerchantProfile>();
for (const e of data.events) {
  const c = data.cards[e.card];
  let m = merchants.get(e.txn.merchantId ?? '');
  if (!m) merchants.set(e.txn.merchantId ?? '', (m = emptyMerchantProfile()));
  updateCardProfile(profiles[e.card], e.txn, e.approved, e.now, c);
  updateMerchantProfile(m, e.txn, e.approved, e.now);
}

// Probes: the last 20k events, scored against the final profiles (the same work as before the update).
interface Probe {
  txn: Txn;
  card: CardContext;
  merchant: MerchantProfile | undefined;
  now: number;
}
const probes: Probe[] = data.events.slice(-20_000).map((e) => {
  const c = data.cards[e.card];
  return { txn: e.txn, card: { country: c.country, currency: c.currency, profile: profiles[e.card] }, merchant: merchants.get(e.txn.merchantId ?? ''), now: e.now + 1000 };
});

/** Scores per second of wall time; also records the CPU time the thread got (others share the cores). */
const cpuNsPerScore: number[] = [];
function timeScores(): number {
  let n = 0;
  let sink = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < RUN_MS) {
    for (let i = 0; i < probes.length; i++) {
      const p = probes[i];
      sink += scoreTxn(p.txn, p.card, p.merchant, p.now, defaultFraudConfig).score;
    }
    n += probes.length;
    t = performance.now();
  }
  if (sink < 0) log('impossible');
  const cpu = process.cpuUsage(c0);
  cpuNsPerScore.push(((cpu.user + cpu.system) * 1000) / n);
  return (n / (t - t0)) * 1000;
}

function timeUpdates(): number {
  const events = data.events.slice(0, 50_000);
  const cards = data.cards.map(() => emptyCardProfile());
  const ms = new Map<string, MerchantProfile>();
  for (const e of events) if (!ms.has(e.txn.merchantId ?? '')) ms.set(e.txn.merchantId ?? '', emptyMerchantProfile());
  const t0 = performance.now();
  for (const e of events) {
    updateCardProfile(cards[e.card], e.txn, e.approved, e.now, data.cards[e.card]);
    updateMerchantProfile(ms.get(e.txn.merchantId ?? '')!, e.txn, e.approved, e.now);
  }
  return (events.length / (performance.now() - t0)) * 1000;
}

function timeCodec(): number {
  const sample = profiles.slice(0, 1000);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < RUN_MS / 2) {
    for (const p of sample) unpack(pack(p));
    n += sample.length;
    t = performance.now();
  }
  return (n / (t - t0)) * 1000;
}

timeScores(); // warm-up: JIT
cpuNsPerScore.length = 0;
const scores: number[] = [];
const updates: number[] = [];
const codec: number[] = [];
for (let r = 0; r < RUNS; r++) {
  scores.push(timeScores());
  updates.push(timeUpdates());
  codec.push(timeCodec());
}
const sizes = profiles.map((p) => pack(p).length).sort((a, b) => a - b);
const headline = {
  scoresPerSec: Math.round(median(scores)),
  nsPerScore: Math.round(1e9 / median(scores)),
  cpuNsPerScore: Math.round(median(cpuNsPerScore)),
  updatesPerSec: Math.round(median(updates)),
  profileCodecPerSec: Math.round(median(codec)),
  profileBytesMedian: sizes[Math.floor(sizes.length / 2)],
  profileBytesMax: sizes[sizes.length - 1],
  runs: RUNS,
};
log(`scoreTxn: ${headline.scoresPerSec.toLocaleString('en')} scores/s (${headline.nsPerScore} ns each), median of ${RUNS} × ${RUN_MS} ms runs, one thread`);
log(`  CPU time per score (what the thread itself spent): ${headline.cpuNsPerScore} ns`);
log(`  runs: ${scores.map((s) => Math.round(s).toLocaleString('en')).join(', ')}`);
log(`updateCardProfile + updateMerchantProfile: ${headline.updatesPerSec.toLocaleString('en')} events/s`);
log(`card profile msgpack pack+unpack: ${headline.profileCodecPerSec.toLocaleString('en')}/s; size median ${headline.profileBytesMedian} B, max ${headline.profileBytesMax} B`);
const path = writeResults('fraud', { ...headline, runsScoresPerSec: scores.map(Math.round) });
log(`results written to ${path}`);
if (json) log(JSON.stringify(headline));
