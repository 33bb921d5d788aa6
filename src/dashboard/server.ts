// Mounts the live dashboard on a uWS app: the page, uPlot's files from node_modules, a JSON snapshot endpoint
// and a WebSocket that pushes a snapshot every interval to every subscriber (uWS pub/sub, bounded backpressure).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type uWS from 'uWebSockets.js';
import { metrics } from '../metrics/registry.js';
import { APP_JS, PAGE_HTML } from './page.js';
import { buildSnapshot, DEFAULT_SOURCES, parseExposition, type DashboardSources, type Snapshot, type Totals } from './snapshot.js';

export interface DashboardOptions {
  /** Push interval (default 1000 ms). */
  intervalMs?: number;
  sources?: Partial<DashboardSources>;
  /** Extra numbers to show (queue depths of the host process). */
  extra?: () => Record<string, number>;
  /** Checks the HSM (e.g. `() => hsm.diagnostics().then(() => true)`); its result feeds the gauge
   * `gerbang_hsm_up` every `hsmProbeMs` (default 5000). A probe that throws or takes over 2 s counts as down. */
  hsmProbe?: () => Promise<boolean>;
  hsmProbeMs?: number;
}

const TOPIC = 'dashboard';
const require = createRequire(import.meta.url);

function asset(file: string): Buffer {
  return readFileSync(require.resolve(`uplot/dist/${file}`));
}

export function mountDashboard(app: uWS.TemplatedApp, opts: DashboardOptions = {}): { close(): void; current(): Snapshot } {
  const sources: DashboardSources = { ...DEFAULT_SOURCES, ...(opts.sources ?? {}) };
  const js = asset('uPlot.iife.min.js');
  const css = asset('uPlot.min.css');
  let prev: Totals | undefined;
  let last: Snapshot;
  let lastText = '';

  const compute = () => {
    const { snapshot, totals } = buildSnapshot(parseExposition(metrics.render()), sources, prev, Date.now(), opts.extra?.() ?? {});
    prev = totals;
    last = snapshot;
    lastText = JSON.stringify(snapshot);
  };
  compute();
  const timer = setInterval(() => {
    compute();
    app.publish(TOPIC, lastText);
  }, opts.intervalMs ?? 1000);
  timer.unref();

  let probeTimer: NodeJS.Timeout | undefined;
  if (opts.hsmProbe) {
    const probe = opts.hsmProbe;
    const hsmUp = metrics.gauge('gerbang_hsm_up', 'HSM reachable (1) or not (0), from the dashboard probe');
    let running = false;
    const run = () => {
      if (running) return; // never more than one probe in flight
      running = true;
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), 2000)));
      Promise.race([probe().catch(() => false), timeout])
        .then((ok) => hsmUp.set(ok ? 1 : 0))
        .finally(() => {
          clearTimeout(t);
          running = false;
        });
    };
    run();
    probeTimer = setInterval(run, opts.hsmProbeMs ?? 5000);
    probeTimer.unref();
  }

  const serve = (path: string, type: string, body: string | Buffer) =>
    app.get(path, (res) => {
      res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', type).writeHeader('cache-control', 'no-cache').end(body));
    });
  serve('/dashboard', 'text/html; charset=utf-8', PAGE_HTML);
  serve('/dashboard/app.js', 'text/javascript; charset=utf-8', APP_JS);
  serve('/dashboard/assets/uPlot.iife.min.js', 'text/javascript; charset=utf-8', js);
  serve('/dashboard/assets/uPlot.min.css', 'text/css; charset=utf-8', css);
  app.get('/dashboard/snapshot.json', (res) => {
    res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(lastText));
  });
  app.ws('/dashboard/ws', {
    maxPayloadLength: 1024, // the page never sends anything meaningful
    maxBackpressure: 256 * 1024, // a slow viewer skips snapshots instead of growing memory
    idleTimeout: 60,
    sendPingsAutomatically: true,
    open(ws) {
      ws.subscribe(TOPIC);
      ws.send(lastText);
    },
  });
  return {
    close: () => {
      clearInterval(timer);
      if (probeTimer) clearInterval(probeTimer);
    },
    current: () => last,
  };
}
