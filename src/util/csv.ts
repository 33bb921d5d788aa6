// One CSV line → fields (RFC 4180 quoting: "a, b" keeps its comma, "" is a quote). Used by every file reader
// (card imports, clearing files, chargeback files, watch lists). Lines are bounded by their callers.

export class CsvError extends Error {
  override name = 'CsvError';
}

/** Splits one line; throws CsvError on an unterminated quote. Fields are not trimmed. */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new CsvError('unterminated quote');
  out.push(cur);
  return out;
}

/** Fields a line may have in the byte splitter (bounds the offset arrays its callers allocate once). */
export const MAX_CSV_FIELDS = 256;

/**
 * The fast path for big files: splits bytes [start, end) of one line (no line break) at commas into field
 * offsets, `starts[k]`..`ends[k]` (exclusive), without making strings. Returns the field count, or −1 when the
 * line holds a quote (the caller then decodes that line and uses splitCsvLine) or more than MAX_CSV_FIELDS fields.
 */
export function splitCsvBytes(buf: Uint8Array, start: number, end: number, starts: Int32Array, ends: Int32Array): number {
  let n = 0;
  let fieldStart = start;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === 44) {
      if (n === MAX_CSV_FIELDS - 1) return -1;
      starts[n] = fieldStart;
      ends[n++] = i;
      fieldStart = i + 1;
    } else if (c === 34) return -1;
  }
  starts[n] = fieldStart;
  ends[n++] = end;
  return n;
}
