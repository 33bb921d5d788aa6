// The one parser for payShield's field grammar: fixed-width fields read left to right from a latin1 string (one char
// per byte, so binary fields survive). Every read validates and throws HsmFail with the documented error code.
import { HsmFail } from './errors.js';

const HEX = /^[0-9A-F]*$/;
const DIGITS = /^[0-9]*$/;

export class Fields {
  private pos = 0;
  constructor(private readonly s: string) {}

  get remaining(): number {
    return this.s.length - this.pos;
  }

  take(n: number, what: string): string {
    if (this.pos + n > this.s.length) throw new HsmFail('15', `${what}: message too short`);
    const v = this.s.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  hex(n: number, what: string, code = '15'): string {
    const v = this.take(n, what).toUpperCase();
    if (!HEX.test(v)) throw new HsmFail(code, `${what}: not hex`);
    return v;
  }
  digits(n: number, what: string, code = '15'): string {
    const v = this.take(n, what);
    if (!DIGITS.test(v)) throw new HsmFail(code, `${what}: not decimal`);
    return v;
  }
  /** Raw bytes (binary fields). */
  bytes(n: number, what: string): Buffer {
    return Buffer.from(this.take(n, what), 'latin1');
  }
  oneOf<T extends string>(n: number, allowed: readonly T[], what: string, code = '15'): T {
    const v = this.take(n, what) as T;
    if (!allowed.includes(v)) throw new HsmFail(code, `${what}: '${v}' not one of ${allowed.join(', ')}`);
    return v;
  }
  /** Characters up to (not including) `delim`, which is consumed; at most `max`. */
  until(delim: string, max: number, what: string): string {
    const i = this.s.indexOf(delim, this.pos);
    if (i < 0 || i - this.pos > max) throw new HsmFail('15', `${what}: missing '${delim}'`);
    const v = this.s.slice(this.pos, i);
    this.pos = i + 1;
    return v;
  }
  literal(c: string, what: string): void {
    if (this.take(c.length, what) !== c) throw new HsmFail('15', `${what}: expected '${c}'`);
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  /**
   * A key field: U+32H, T+48H, S+TR-31 block (length from its header), or 32H (a single-length pair).
   * `code` is the error for a malformed key (payShield uses 10/11 for the source/destination key).
   */
  key(what: string, code = '15'): string {
    const c = this.peek();
    if (c === 'U') return 'U' + this.skipScheme().hex(32, what, code);
    if (c === 'T') return 'T' + this.skipScheme().hex(48, what, code);
    if (c === 'S') {
      this.take(1, what);
      const head = this.take(5, what);
      if (head[0] !== 'D' || !DIGITS.test(head.slice(1))) throw new HsmFail('A1', `${what}: bad key block header`);
      const len = Number(head.slice(1));
      if (len < 16 || len > 1024) throw new HsmFail('A1', `${what}: bad key block length`);
      return 'S' + head + this.take(len - 5, what);
    }
    if (c === 'X' || c === 'Y' || c === 'Z') throw new HsmFail('26', `${what}: key scheme ${c} not supported`);
    return this.hex(32, what, code);
  }
  private skipScheme(): this {
    this.pos++;
    return this;
  }
  /** Optional `;`-led trailing group; true when present. */
  optionalDelimiter(d = ';'): boolean {
    if (this.peek() !== d) return false;
    this.pos++;
    return true;
  }
  end(what = 'message'): void {
    if (this.pos !== this.s.length) throw new HsmFail('15', `${what}: ${this.s.length - this.pos} unexpected trailing characters`);
  }
}
