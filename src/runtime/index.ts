// The running switch, composed: a list of started services, each with close(). startSwitch(config) starts them in
// dependency order (HSM → data keys → store → engine → issuer simulator → issuer links → listeners) and close()
// stops them in reverse, so listeners drain in-flight work before anything they use goes away. Adding a service is
// one push().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { getSpec, listSpecs, type CompiledSpec } from '../../codecs/index.js';
import { startHsmServer } from '../../hsm-sim/index.js';
import { createAuthorizer, type Authorizer } from '../authorize/index.js';
import type { SwitchConfig } from '../config/types.js';
import { demoKeys, demoProvisionInput } from '../demo/portfolio.js';
import { createHsmClient, type HsmClient } from '../hsm/client.js';
import type { HsmApi } from '../hsm/api.js';
import { IssuerService } from '../issuer/service.js';
import { SafQueue } from '../issuer/saf.js';
import { startIssuerSim, type IssuerSim, type IssuerSimOptions } from '../sim/index.js';
import { closeState, openState } from '../state/env.js';
import { unlockDataDir } from './unlock.js';
import { hostKeyKcv } from '../../hsm-sim/crypto/x25519.js';
import { openRemoteJournal } from '../switch/remote-journal.js';
import { ReviewQueue } from '../fraud/review.js';
import { provision } from '../state/provision.js';
import { startIsoListener, startJsonListener, type AcquirerListener } from '../switch/acquirer-server.js';
import { DuplicateDetector } from '../switch/duplicates.js';
import { resolveKeys, type KeyRing } from '../switch/keys.js';
import { createMacer } from '../switch/mac.js';
import { createPipeline, type Decider, type Pipeline } from '../switch/pipeline.js';
import { startHttpApi } from '../http/server.js';
import { openSettlement, stageLastRun, stageStatus, startSettlementScheduler, type SettlementHandle } from '../settlement/run.js';
import { watchInbox } from '../recon/inbox.js';
import { persistBreaks } from '../recon/run.js';
import { clearingItems, payoutItems, positionItems } from '../recon/sources.js';
import { DisputeService, startDisputeSweeper } from '../disputes/service.js';
import type { WebhookEvent } from '../webhooks/dispatcher.js';
import { pinTranslator } from '../switch/pin.js';
import { compileRoutes } from '../switch/routing.js';
import { warmCodecs, type WarmSpec } from '../switch/warm.js';
import type { Decision } from '../model/txn.js';
import { log as rootLog, type Logger } from './log.js';
import { openSwitchStore, sweepForwarded, type SwitchStore } from './store.js';

export interface Service {
  name: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** HSM simulator in a child process (default, closer to production) or in this process (tests). */
  hsmMode?: 'child' | 'in-process';
  /**
   * Issuer simulator in a child process (default: a remote bank is another machine, and it keeps the simulator's
   * work off the switch's event loop) or in this process (tests that drive its fail modes and read recent()).
   */
  issuerSimMode?: 'child' | 'in-process';
  /** Extra options for an in-process issuer simulator (fail modes, latency, seed); implies in-process. */
  issuerSim?: Partial<IssuerSimOptions>;
  /** Replaces the on-us engine (tests of the switch alone); null runs without one (on-us answers 91). */
  onus?: Decider | null;
  log?: Logger;
}

export interface RunningSwitch {
  config: SwitchConfig;
  /** Acquirer listener ports by listener id. */
  acquirerPorts: Record<string, number>;
  hsmPort: number | null;
  issuerSimPort: number | null;
  issuerSim: IssuerSim | null;
  listeners: AcquirerListener[];
  issuers: Map<string, IssuerService>;
  pipeline: Pipeline;
  store: SwitchStore;
  authorizer: Authorizer | null;
  services: Service[];
  /** The one JSON line `gerbang start` prints when ready. */
  readyLine(): string;
  close(): Promise<void>;
}

/** Round trips per spec in the start-up warm-up (two messages each: the defaults' two specs took ~100 ms in all). */
const WARM_CODEC_ROUNDS = 200;

/** Names the codec knows, for config validation. */
export function knownNames(): { specs: string[]; framings: string[] } {
  return { specs: listSpecs().map((s) => s.name), framings: ['len2', 'len4', 'ascii4', 'hex4', 'bcd2'] };
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'gerbang.js'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/gerbang.js above the runtime module');
}

/** Starts a simulator child (./child.ts, compiled) and resolves with the port it prints on its first stdout line. */
async function spawnChild(what: 'hsm' | 'issuer-sim', options: Record<string, unknown>, log: Logger): Promise<{ port: number; child: ChildProcess }> {
  const entry = join(repoRoot(), 'dist', 'src', 'runtime', 'child.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npx tsc -p tsconfig.json`);
  // stdin is a pipe the child only watches: it closes when this process ends, however it ends (child.ts).
  const child = spawn(process.execPath, [entry, what, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  // The child's own lines are debug detail; the last one is kept to say why, should it exit before it is ready.
  let lastLine = '';
  child.stderr!.on('data', (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lastLine = line.slice(0, 300);
      log.debug(what, { line: lastLine });
    }
  });
  const lines = createInterface({ input: child.stdout! });
  const got = await new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what} did not start within 15 s`)), 15_000);
    child.once('exit', (code) => (clearTimeout(t), rej(new Error(`${what} exited with ${code}${lastLine ? `: ${lastLine}` : ''}`))));
    lines.once('line', (l) => {
      clearTimeout(t);
      try {
        res((JSON.parse(l) as { port: number }).port);
      } catch {
        rej(new Error(`${what} said ${l.slice(0, 100)}`));
      }
    });
  });
  lines.on('line', () => {}); // keep draining (final counters line)
  return { port: got, child };
}

function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(t), res()));
    child.kill('SIGTERM');
  });
}

async function provisionDemoIfEmpty(cfg: SwitchConfig, log: Logger): Promise<void> {
  const s = openState(cfg.dataDir);
  try {
    const empty = s.cards.getKeysCount({ limit: 1 }) === 0;
    if (!empty) {
      // A portfolio provisioned by an older version: add the demo keys it lacks (e.g. the AES DUKPT BDK), nothing else.
      const added: string[] = [];
      for (const k of demoKeys()) {
        if (s.keys.get(k.name) !== undefined) continue;
        await s.keys.put(k.name, k);
        added.push(k.name);
      }
      if (added.length) log.info('demo keys added to an existing portfolio', { keys: added });
      return;
    }
    const t0 = Date.now();
    const r = await provision(s, demoProvisionInput(cfg.engine.demoSeed, cfg.engine.demoCards));
    log.info('demo portfolio provisioned', { cards: r.cards, accounts: r.accounts, keys: r.keys, ms: Date.now() - t0 });
  } finally {
    await closeState(s);
  }
}

export async function startSwitch(config: SwitchConfig, opts: StartOptions = {}): Promise<RunningSwitch> {
  const log = opts.log ?? rootLog;
  const services: Service[] = [];
  const closeAll = async () => {
    for (const s of services.splice(0).reverse()) {
      try {
        await s.close();
      } catch (e) {
        log.error('service failed to close', { service: s.name, error: (e as Error).message });
      }
    }
  };
  try {
    const cfg = { ...config, dataDir: resolve(config.dataDir) };
    const specOf = (name: string): CompiledSpec => getSpec(name);
    const routes = compileRoutes(cfg.routing);

    // HSM: a simulator (child process or in-process) or the configured address.
    let hsmPort: number | null = null;
    let hsmAddr = { host: cfg.hsm.host, port: cfg.hsm.port };
    if (cfg.hsm.simulator) {
      if ((opts.hsmMode ?? 'child') === 'child') {
        const h = await spawnChild('hsm', { port: cfg.hsm.port }, log);
        services.push({ name: 'hsm-sim', close: () => stopChild(h.child) });
        hsmPort = h.port;
      } else {
        const h = await startHsmServer({ host: '127.0.0.1', port: cfg.hsm.port, log: (l) => log.debug('hsm', { line: l }) });
        services.push({ name: 'hsm-sim', close: () => h.close() });
        hsmPort = h.port;
      }
      hsmAddr = { host: '127.0.0.1', port: hsmPort };
    }
    // One client for the switch's own HSM work (PIN translation, MAC, key generation); it connects on first use.
    const hsmClient: HsmClient = createHsmClient({ host: hsmAddr.host, port: hsmAddr.port });
    services.push({ name: 'hsm-client', close: () => hsmClient.close() });
    const hsm = async (): Promise<HsmApi> => hsmClient;
    // The data dir's own keys (PANs at rest, vault, sealed switch records) come from the HSM before any store that
    // uses them opens.
    const unlocked = await unlockDataDir(cfg.dataDir, hsmClient);
    if (unlocked.retiredKeyFiles.length) log.warn('data keys migrated under the HSM LMK; clear key files deleted', { dataDir: cfg.dataDir, files: unlocked.retiredKeyFiles });
    // Check values only (never a key): what `gerbang keys status` shows, so an operator can match the two.
    const kcvs: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...unlocked.state, ...unlocked.vault, ...unlocked.switch })) kcvs[k] = hostKeyKcv(v);
    log.info('data keys unlocked from the HSM', { kcv: kcvs });

    const store = openSwitchStore(cfg.dataDir);
    services.push({ name: 'switch-store', close: () => store.close() });
    // Remote-issuer approvals are journaled to the settled stream before they are answered (src/switch/remote-journal.ts).
    const remoteJournal = openRemoteJournal(cfg.dataDir, store);
    services.push({ name: 'remote-journal', close: () => remoteJournal.close() });
    // Forwarded-request records (for acquirer reversals) are kept for today and yesterday.
    const fwdSweep = setInterval(() => void sweepForwarded(store, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replaceAll('-', '')), 3_600_000);
    fwdSweep.unref();
    services.push({ name: 'fwd-sweep', close: async () => clearInterval(fwdSweep) });

    const keys: KeyRing = await resolveKeys(cfg.keys, store, hsm);

    // On-us engine.
    let authorizer: Authorizer | null = null;
    let onus: Decider | null = null;
    if (opts.onus !== undefined) onus = opts.onus;
    else if (cfg.routing.some((r) => r.to === 'onus')) {
      if (cfg.engine.provisionDemo) await provisionDemoIfEmpty(cfg, log);
      authorizer = await createAuthorizer({ dataDir: cfg.dataDir, hsm: hsmAddr, workers: cfg.engine.workers, maxQueue: cfg.engine.maxQueue, batchSize: cfg.engine.batchSize });
      const a = authorizer;
      services.push({ name: 'authorizer', close: () => a.close() });
      onus = a;
    }

    // Issuer simulator for links that say simulator: true.
    let issuerSim: IssuerSim | null = null;
    let issuerSimPort: number | null = null;
    if (cfg.issuerSimulator) {
      const sc = cfg.issuerSimulator;
      if ((opts.issuerSimMode ?? (opts.issuerSim ? 'in-process' : 'child')) === 'child') {
        const c = await spawnChild('issuer-sim', { port: 0, spec: sc.spec, framing: sc.framing }, log);
        services.push({ name: 'issuer-sim', close: () => stopChild(c.child) });
        issuerSimPort = c.port;
      } else {
        issuerSim = await startIssuerSim({ spec: sc.spec, framing: sc.framing as IssuerSimOptions['framing'], ...opts.issuerSim });
        const sim = issuerSim;
        services.push({ name: 'issuer-sim', close: () => sim.close() });
        issuerSimPort = sim.port;
      }
    }

    // Issuers.
    const saf = new SafQueue(store, Math.max(1, ...cfg.issuers.map((i) => i.safMaxEntries)));
    const issuers = new Map<string, IssuerService>();
    for (const ic of cfg.issuers) {
      const spec = specOf(ic.spec);
      const svc = new IssuerService({
        cfg: ic,
        addresses: ic.links.map((l) => (l.simulator ? { host: '127.0.0.1', port: issuerSimPort! } : { host: l.host, port: l.port })),
        spec,
        saf,
        store,
        log,
        forwarderId: cfg.institutionId,
        translatePin: ic.zpkRef ? pinTranslator(keys, hsm, ic.zpkRef, ic.pinFormat) : null,
        mac: ic.mac ? createMacer(spec, ic.mac, keys, hsm) : null,
        journal: remoteJournal,
      });
      svc.start();
      issuers.set(ic.id, svc);
      services.push({ name: `issuer:${ic.id}`, close: () => svc.close() });
    }

    // Requests a previous run forwarded and never journaled an answer for: the issuer may have approved them, the
    // acquirer never heard it. Reverse them through SAF before taking new traffic.
    const owed = remoteJournal.recover();
    if (owed.length > 0) {
      const queued: string[] = [];
      for (const o of owed) {
        const svc = issuers.get(o.issuerId);
        if (svc && (await svc.queueRecoveredReversal(o.reversal))) queued.push(o.txnId);
        else log.error('in-flight request from before the restart not reversed', { issuer: o.issuerId, txnId: o.txnId });
      }
      remoteJournal.forget(queued);
      log.warn('reversed requests left in flight by the previous run', { count: queued.length });
    }

    const duplicates = new DuplicateDetector<Decision>(store, cfg.duplicates.windowMs);
    duplicates.startSweeper();
    services.push({ name: 'duplicates', close: () => duplicates.stop() });
    const review = new ReviewQueue(store);
    // The CLI works the queue from another process: re-read its depth for the gauge now and then.
    const reviewRefresh = setInterval(() => review.refresh(), 5_000);
    reviewRefresh.unref();
    services.push({ name: 'review-refresh', close: async () => clearInterval(reviewRefresh) });
    const pipeline = createPipeline({ routes, onus, issuers, duplicates, review, log, maxOutstanding: cfg.admission.maxOutstanding });

    // Warm the hot paths before anyone connects (src/switch/warm.ts, src/authorize/warm.ts): without it the first
    // second after a start had a p99 of 364 ms against 41 ms warm (src/switch/README.md).
    if (cfg.warmup) {
      const specs: WarmSpec[] = [
        ...cfg.listeners.flatMap((lc) => (lc.kind === 'iso' ? [{ spec: specOf(lc.spec), framing: lc.framing as WarmSpec['framing'] }] : [])),
        ...cfg.issuers.map((ic) => ({ spec: specOf(ic.spec), framing: ic.framing as WarmSpec['framing'] })),
      ];
      const codecs = warmCodecs(specs, WARM_CODEC_ROUNDS);
      // The switch's own HSM link (PIN translation and MACs for issuer traffic) connects on first use: open it now.
      const switchHsm = await hsmClient.diagnostics().then(() => true, () => false);
      for (const f of codecs.failed) log.warn('warm-up: a spec does not carry the switch\'s own messages', f);
      const engine = authorizer?.warm ? await authorizer.warm() : undefined;
      const badKeys = [...new Set(engine?.workers.flatMap((w) => w.keysMismatched) ?? [])];
      if (badKeys.length > 0) log.error("keys whose check value differs from the HSM's: not under its LMK? PIN, CVV and ARQC checks with them will fail", { keys: badKeys });
      log.info('warmed up', {
        codecMessages: codecs.messages, codecMs: codecs.ms, switchHsm,
        ...(engine ? { engineMs: engine.ms, workers: engine.workers.length, dryCommits: engine.workers.reduce((n, w) => n + w.dryCommits, 0), hsm: engine.workers.every((w) => w.hsm), keysChecked: Math.max(0, ...engine.workers.map((w) => w.keysChecked)) } : {}),
      });
    }

    const listeners: AcquirerListener[] = [];
    for (const lc of cfg.listeners) {
      const l =
        lc.kind === 'iso'
          ? await startIsoListener(lc, specOf(lc.spec), pipeline.handle, log, lc.mac ? createMacer(specOf(lc.spec), lc.mac, keys, hsm) : null)
          : await startJsonListener(lc, pipeline.handle, log);
      listeners.push(l);
      services.push({ name: `listener:${lc.id}`, close: () => l.close(cfg.shutdownGraceMs) });
    }
    const acquirerPorts = Object.fromEntries(listeners.map((l) => [l.id, l.port]));

    // Settlement and disputes share one handle on the stream and the books (the caller of both closes it last).
    let settlement: SettlementHandle | undefined;
    let disputes: DisputeService | undefined;
    let emitDisputeEvent: ((m: string, t: WebhookEvent, o: Record<string, unknown>) => Promise<void>) | undefined;
    if (cfg.settlement) {
      const h = openSettlement(cfg.dataDir);
      settlement = h;
      services.push({ name: 'settlement-books', close: () => h.close() });
      disputes = new DisputeService({
        books: h.ctx.books, stream: h.stream, calendar: h.ctx.calendar,
        events: async (m, t, o) => emitDisputeEvent?.(m, t as WebhookEvent, o),
        log: (msg) => log.info(msg),
      });
    }

    // The merchant HTTP front goes through the same pipeline: an HTTP payment is routed like an ISO one.
    let httpPort: number | undefined;
    if (cfg.http) {
      const api = await startHttpApi({
        host: cfg.http.host, port: cfg.http.port, dataDir: cfg.dataDir,
        authorizer: { authorize: (t) => pipeline.decide(t) },
        dashboard: cfg.http.dashboard ? { hsmProbe: () => hsmClient.diagnostics().then(() => true) } : false,
        ...(disputes ? { disputes } : {}),
      });
      httpPort = api.port;
      emitDisputeEvent = (m, t, o) => api.emitEvent(m, t, o);
      services.push({ name: 'http', close: () => api.close() });
    }
    if (settlement && cfg.settlement) {
      const scheduler = startSettlementScheduler({
        dataDir: cfg.dataDir, handle: settlement, intervalMs: cfg.settlement.intervalMs,
        ...(cfg.settlement.outDir ? { outDir: cfg.settlement.outDir } : {}),
        log: (msg) => log.info(msg),
      });
      services.push({ name: 'settlement', close: () => scheduler.close() });
      void scheduler.tick(); // catch up with the stream now, not a whole interval after start
      // Reconciliation in real time: statements, payout status reports and clearing files dropped in the inbox.
      const inboxDir = cfg.settlement.reconInbox === false ? null : typeof cfg.settlement.reconInbox === 'string' ? resolve(cfg.settlement.reconInbox) : join(cfg.dataDir, 'recon-inbox');
      if (inboxDir) {
        const h = settlement;
        const inbox = watchInbox(inboxDir, {
          bankSide: () => [...payoutItems(h.ctx.books), ...positionItems(h.ctx.books)],
          clearingSide: () => clearingItems(h.stream),
          pollMs: cfg.settlement.reconPollMs,
          onResult: async (r) => {
            if (r.status === 'failed') stageStatus.set(0, { stage: 'reconciliation' });
            if (r.output) {
              await persistBreaks(h.ctx.books, r.output.report);
              stageStatus.set(1, { stage: 'reconciliation' });
            }
            stageLastRun.set(Math.round(Date.now() / 1000), { stage: 'reconciliation' });
          },
          log: (line) => log.info(line),
        });
        services.push({ name: 'recon-inbox', close: () => inbox.close() });
      }
      const sweeper = startDisputeSweeper(disputes!, 3_600_000, (msg) => log.info(msg));
      services.push({ name: 'dispute-sweeper', close: async () => sweeper.stop() });
      // Disputes opened or answered from another process (`gerbang disputes`, an issuer file) show on the dashboard
      // within half a minute: the gauges are re-read from the books, not only at the hourly sweep.
      const d = disputes!;
      const refresh = () => {
        try {
          d.refreshGauges();
        } catch (e) {
          log.warn('dispute gauges not refreshed', { error: (e as Error).message });
        }
      };
      refresh();
      const gaugeTimer = setInterval(refresh, 30_000);
      gaugeTimer.unref();
      services.push({ name: 'dispute-gauges', close: async () => clearInterval(gaugeTimer) });
    }
    let closing: Promise<void> | null = null;
    return {
      config: cfg,
      acquirerPorts,
      hsmPort,
      issuerSimPort,
      issuerSim,
      listeners,
      issuers,
      pipeline,
      store,
      authorizer,
      services,
      readyLine: () => JSON.stringify({ ready: true, acquirerPorts, httpPort, hsmPort, issuerSimPort, dataDir: cfg.dataDir }),
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
