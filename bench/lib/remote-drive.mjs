// Ad-hoc remote-path driver used for the switch README measurements (not part of npm run bench:switch):
// node bench/lib/remote-drive.mjs RATES SECONDS [--prof] [--conns N]  (after tsc). Starts gerbang sim issuer and the switch
// (benchConfig), sends remote-BIN 0200s without PIN or chip data open loop, prints latency and CPU µs/request of
// the switch main thread (/proc/PID/task/PID/stat), all switch threads, the issuer simulator and this generator.
// Usage: node drive.mjs TPS SECONDS [--prof] [--conns 8]
// Starts sim issuer + switch (bench config), drives remote-BIN no-PIN 0200s open loop, reports latency + switch CPU/request.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const root = process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { encode, decode, frame, FrameSplitter, getSpec } = await import(root + '/dist/codecs/index.js');
const { benchConfig } = await import(root + '/dist/bench/switch.js');
const { startChild } = await import(root + '/dist/bench/lib/children.js');
const args = process.argv.slice(2);
const steps = args[0].split(',').map(Number); const secs = Number(args[1]);
const prof = args.includes('--prof'); const conns = args.includes('--conns') ? Number(args[args.indexOf('--conns') + 1]) : 8;
const cli = join(root, 'bin/gerbang.js');
const issuer = await startChild(process.execPath, [cli, 'sim', 'issuer', '--json', '--latency-ms', '2', '--jitter-ms', '1', '--approve-rate', '0.95'], { name: 'issuer' });
const tmp = mkdtempSync(join(tmpdir(), 'swperf-'));
writeFileSync(join(tmp, 'c.json'), JSON.stringify(benchConfig(join(tmp, 'data'), issuer.ready.port)));
const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir=' + join(process.cwd(), 'prof')] : [];
const sw = await startChild(process.execPath, [...nodeArgs, cli, 'start', '--config', join(tmp, 'c.json')], { name: 'switch', readyTimeoutMs: 120000, env: { ...process.env, GERBANG_LOG: 'warn' } });
const port = sw.ready.acquirerPorts.iso ?? sw.ready.acquirerPorts;
const spec = getSpec('iso87-ascii'); const framing = { lengthHeader: 'ascii4' };
function luhn(s) { let sum = 0; for (let i = 0; i < s.length; i++) { let d = +s[s.length - 1 - i]; if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; } sum += d; } return String((10 - (sum % 10)) % 10); }
const pans = Array.from({ length: 500 }, (_, i) => { const b = '400555' + String(100000000 + i * 7919).slice(-9); return b + luhn(b); });
let stan = Math.floor(Math.random() * 500000);
const p2 = (n) => String(n).padStart(2, '0');
function msgFor(i) {
  const d = new Date(); stan = stan >= 999999 ? 1 : stan + 1;
  const de7 = p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) + p2(d.getUTCMinutes()) + p2(d.getUTCSeconds());
  const s = String(stan).padStart(6, '0');
  return { s, bytes: frame(encode(spec, { mti: '0200', fields: { 2: pans[i % 500], 3: '000000', 4: String(1000 + (i % 50000)).padStart(12, '0'), 7: de7, 11: s, 12: de7.slice(4), 13: de7.slice(0, 4), 14: '2912', 18: '5411', 22: '012', 25: '00', 32: '123456', 37: ('000000' + s).slice(-12), 41: 'TERM' + String(i % 100).padStart(4, '0'), 42: 'MERCHANT0000001', 43: 'GERBANG TEST MERCHANT    JAKARTA      ID', 49: '360' } }), framing) };
}
const procStat = (pid) => { const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10000; }; // µs (CLK_TCK=100)
const sockets = await Promise.all(Array.from({ length: conns }, () => new Promise((res) => { const s = connect(port, '127.0.0.1', () => res(s)); s.setNoDelay(true); })));
const pend = new Map(); const lat = []; const codes = {};
for (const s of sockets) { s.on("close", () => console.log("sock closed")); const sp = new FrameSplitter(framing); s.on('data', (c) => { for (const f of sp.push(c)) { const m = decode(spec, f.payload); const t = pend.get(m.fields[11]); if (t !== undefined) { pend.delete(m.fields[11]); lat.push(performance.now() - t); codes[m.fields[39]] = (codes[m.fields[39]] ?? 0) + 1; } } }); }
async function run(tps, secs) {
  lat.length = 0; for (const k in codes) delete codes[k]; pend.clear();
  const all = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10000; };
  const n = tps * secs; let i = 0; const t0 = performance.now(); const c0 = procStat(sw.proc.pid); const a0 = all(sw.proc.pid), i0 = all(issuer.proc.pid); const my0 = process.cpuUsage();
  await new Promise((res) => { const tick = () => { const now = performance.now(); const due = Math.min(n, Math.floor((now - t0) / 1000 * tps)); const per = new Map(); while (i < due) { const m = msgFor(i); pend.set(m.s, t0 + (i * 1000) / tps); const s = sockets[i % conns]; (per.get(s) ?? per.set(s, []).get(s)).push(m.bytes); i++; } for (const [s, b] of per) s.write(b.length === 1 ? b[0] : Buffer.concat(b)); if (i < n) setTimeout(tick, 1); else res(); }; tick(); });
  const end = performance.now() + 3000; while (pend.size && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  const c1 = procStat(sw.proc.pid); const a1 = all(sw.proc.pid), i1 = all(issuer.proc.pid); const dur = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b); const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1) : 'NaN');
  console.log(JSON.stringify({ offered: tps, sent: n, answered: lat.length, lost: pend.size, p50: q(0.5), p99: q(0.99), max: q(0.9999), swCpuUsPerReq: Math.round((c1 - c0) / Math.max(1, lat.length)), swAllThreadsUs: Math.round((a1 - a0) / Math.max(1, lat.length)), issuerSimUs: Math.round((i1 - i0) / Math.max(1, lat.length)), secs: +dur.toFixed(1), genCpuUsPerReq: Math.round((process.cpuUsage(my0).user + process.cpuUsage(my0).system) / n), codes }));
}
await run(300, 3); await run(300, 3); // warm up
for (const t of steps) { await run(t, secs); await new Promise((r) => setTimeout(r, 500)); }
for (const s of sockets) s.destroy();
console.log(sw.stderrTail().slice(-3000));
await sw.stop(); await issuer.stop(); rmSync(tmp, { recursive: true, force: true });
process.stdout.write('load ' + readFileSync('/proc/loadavg', 'utf8'));
