// The dashboard page and its browser script. Charts are uPlot (served from node_modules by ./server.ts);
// numbers arrive as JSON snapshots over the /dashboard/ws WebSocket, once a second.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gerbang — operations</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; background: #f6f7f9; color: #1d232b; }
  h1 { font-size: 18px; margin: 0 0 12px; } h2 { font-size: 13px; margin: 0 0 6px; color: #556; text-transform: uppercase; letter-spacing: .04em; }
  .tiles { display: grid; grid-template-columns: repeat(6, minmax(120px, 1fr)); gap: 10px; margin-bottom: 12px; }
  .tile, .panel { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 10px 12px; }
  .tile .v { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .tile .l { color: #667; font-size: 12px; }
  .grid { display: grid; grid-template-columns: repeat(2, minmax(420px, 1fr)); gap: 10px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; } td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef; }
  .up { color: #137333; font-weight: 600; } .down { color: #b3261e; font-weight: 600; } .stand-in { color: #b06000; font-weight: 600; } .unknown { color: #888; }
  #conn { float: right; font-size: 12px; }
</style>
</head>
<body>
<h1>gerbang — switch operations <span id="conn" class="unknown">connecting…</span></h1>
<div class="tiles">
  <div class="tile"><div class="v" id="tps" data-testid="tps">–</div><div class="l">transactions / s</div></div>
  <div class="tile"><div class="v" id="approval" data-testid="approval">–</div><div class="l">approval rate (last interval)</div></div>
  <div class="tile"><div class="v" id="p50" data-testid="p50">–</div><div class="l">latency p50 (ms)</div></div>
  <div class="tile"><div class="v" id="p99" data-testid="p99">–</div><div class="l">latency p99 (ms)</div></div>
  <div class="tile"><div class="v" id="decided" data-testid="decided">–</div><div class="l">decided since start</div></div>
  <div class="tile"><div class="v" id="hsm" data-testid="hsm">–</div><div class="l">HSM</div></div>
</div>
<div class="grid">
  <div class="panel"><h2>Throughput (tx/s)</h2><div id="chart-tps"></div></div>
  <div class="panel"><h2>Latency (ms)</h2><div id="chart-latency"></div></div>
  <div class="panel"><h2>Approval rate (%)</h2><div id="chart-approval"></div></div>
  <div class="panel"><h2>Declines by response code</h2><div id="chart-declines"></div><table id="declines" data-testid="declines"></table></div>
  <div class="panel"><h2>Issuer links &amp; store-and-forward</h2><table id="links" data-testid="links"></table></div>
  <div class="panel"><h2>Fraud, settlement, queues</h2><table id="misc" data-testid="misc"></table></div>
</div>
<script src="/dashboard/assets/uPlot.iife.min.js"></script>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;

export const APP_JS = `'use strict';
(function () {
  var WINDOW = 300; // points kept per chart (5 minutes at 1 Hz)
  var t = [], tps = [], p50 = [], p99 = [], appr = [];
  function size(el) { return { width: Math.max(380, el.clientWidth - 4), height: 180 }; }
  function line(id, series, data) {
    var el = document.getElementById(id), s = size(el);
    return new uPlot({ width: s.width, height: s.height, series: [{}].concat(series), axes: [{}, {}], scales: { x: { time: true } } }, data, el);
  }
  var cTps = line('chart-tps', [{ label: 'tx/s', stroke: '#1a73e8', width: 2 }], [t, tps]);
  var cLat = line('chart-latency', [{ label: 'p50', stroke: '#137333', width: 2 }, { label: 'p99', stroke: '#b3261e', width: 2 }], [t, p50, p99]);
  var cAppr = line('chart-approval', [{ label: 'approved %', stroke: '#6a1b9a', width: 2 }], [t, appr]);
  var cDecl = null, declCodes = '';
  function bars(codes, counts) {
    var el = document.getElementById('chart-declines'), s = size(el);
    if (cDecl) cDecl.destroy();
    var xs = codes.map(function (_c, i) { return i; });
    cDecl = new uPlot({
      width: s.width, height: 160,
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, codes.length - 0.5)] } },
      axes: [{ values: function (_u, v) { return v.map(function (i) { return codes[i] !== undefined && Number.isInteger(i) ? codes[i] : ''; }); }, splits: function () { return xs; } }, {}],
      series: [{}, { label: 'declines', fill: '#f28b82', stroke: '#b3261e', paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
    }, [xs, counts], el);
  }
  function fmt(n, d) { return n === null || n === undefined ? '–' : Number(n).toFixed(d); }
  function rows(el, list) {
    el.innerHTML = list.map(function (r) { return '<tr>' + r.map(function (c) { return '<td' + (c.cls ? ' class="' + c.cls + '"' : '') + '>' + String(c.v !== undefined ? c.v : c).replace(/[<&]/g, '') + '</td>'; }).join('') + '</tr>'; }).join('');
  }
  function render(s) {
    window.__lastSnapshot = s;
    window.__snapshots = (window.__snapshots || 0) + 1;
    document.getElementById('tps').textContent = fmt(s.tps, 1);
    document.getElementById('approval').textContent = s.approvalRate === null ? '–' : fmt(s.approvalRate * 100, 1) + '%';
    document.getElementById('p50').textContent = s.latencyMs ? fmt(s.latencyMs.p50, 2) : '–';
    document.getElementById('p99').textContent = s.latencyMs ? fmt(s.latencyMs.p99, 2) : '–';
    document.getElementById('decided').textContent = String(s.totals.decided);
    var h = document.getElementById('hsm'); h.textContent = s.hsm; h.className = 'v ' + s.hsm;
    t.push(s.at / 1000); tps.push(s.tps); p50.push(s.latencyMs ? s.latencyMs.p50 : null); p99.push(s.latencyMs ? s.latencyMs.p99 : null);
    appr.push(s.approvalRate === null ? null : s.approvalRate * 100);
    if (t.length > WINDOW) { t.shift(); tps.shift(); p50.shift(); p99.shift(); appr.shift(); }
    cTps.setData([t, tps]); cLat.setData([t, p50, p99]); cAppr.setData([t, appr]);
    var codes = Object.keys(s.declinesByCode).sort();
    var counts = codes.map(function (c) { return s.declinesByCode[c]; });
    if (codes.join(',') !== declCodes) { declCodes = codes.join(','); bars(codes, counts); } else if (cDecl) cDecl.setData([codes.map(function (_c, i) { return i; }), counts]);
    rows(document.getElementById('declines'), [['code', 'count']].concat(codes.map(function (c) { return [c, s.declinesByCode[c]]; })));
    var links = Object.keys(s.issuerLinks).map(function (k) { return [k, { v: s.issuerLinks[k], cls: s.issuerLinks[k] }, 'SAF ' + (s.safDepth[k] !== undefined ? s.safDepth[k] : 0)]; });
    Object.keys(s.safDepth).forEach(function (k) { if (!(k in s.issuerLinks)) links.push([k, { v: 'unknown', cls: 'unknown' }, 'SAF ' + s.safDepth[k]]); });
    rows(document.getElementById('links'), links.length ? links : [['no issuer links reported']]);
    var misc = [['fraud declines', s.fraud.declines], ['review queue', s.fraud.reviewQueue === null ? 'no data' : s.fraud.reviewQueue]];
    Object.keys(s.settlement).forEach(function (k) { misc.push([k, { v: s.settlement[k] >= 1 ? 'ok' : 'failing', cls: s.settlement[k] >= 1 ? 'up' : 'down' }]); });
    if (!Object.keys(s.settlement).length) misc.push(['settlement / reconciliation', 'no data']);
    Object.keys(s.tpsByChannel).forEach(function (k) { misc.push(['tx/s ' + k, fmt(s.tpsByChannel[k], 1)]); });
    Object.keys(s.extra).forEach(function (k) { misc.push([k, s.extra[k]]); });
    rows(document.getElementById('misc'), misc);
  }
  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/dashboard/ws');
    var conn = document.getElementById('conn');
    ws.onopen = function () { conn.textContent = 'live'; conn.className = 'up'; };
    ws.onmessage = function (e) { try { render(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    ws.onclose = function () { conn.textContent = 'disconnected — retrying'; conn.className = 'down'; setTimeout(connect, 1000); };
  }
  connect();
})();
`;
