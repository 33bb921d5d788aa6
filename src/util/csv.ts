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
