// One small logger: JSON lines to stderr, level from env GERBANG_LOG (debug|info|warn|error|silent, default info).
// Callers pass masked data only; `mask()` is here so edges never have to reach for the clear PAN.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  enabled(level: LogLevel): boolean;
}

function envLevel(): LogLevel {
  const v = (process.env.GERBANG_LOG ?? 'info').toLowerCase();
  return v in ORDER ? (v as LogLevel) : 'info';
}

/** Sink is replaceable for tests; the default writes one line per event to stderr. */
export type LogSink = (line: string) => void;
let sink: LogSink = (line) => process.stderr.write(line + '\n');
export function setLogSink(s: LogSink | null): void {
  sink = s ?? ((line) => process.stderr.write(line + '\n'));
}

export function createLogger(base: Record<string, unknown> = {}, level: LogLevel = envLevel()): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...base, ...fields });
    } catch {
      line = JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...base, note: 'unserialisable fields' });
    }
    sink(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, level),
    enabled: (l) => ORDER[l] >= min,
  };
}

export const log = createLogger();

/** 6+4 masking for anything that might be a PAN (digits only, 13–19 long); shorter values are fully starred. */
export function mask(pan: string | undefined): string | undefined {
  if (pan === undefined) return undefined;
  if (pan.length < 13) return '*'.repeat(pan.length);
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}

/** Printable hex preview of at most `max` bytes of a bad frame (never the whole frame: it may hold a PAN). */
export function bytesPreview(b: Uint8Array, max = 8): string {
  return Buffer.from(b.subarray(0, Math.min(max, b.length))).toString('hex') + (b.length > max ? '…' : '');
}
