// MTI helpers: version (1987/1993/2003), class, function; request ↔ response mapping.
// MTI digits: version, class, function, origin. Function: 0 request, 1 response, 2 advice, 3 advice response,
// 4 notification, 5 notification acknowledgement, 6 instruction, 7 instruction acknowledgement.

export function isValidMti(mti: string): boolean {
  return typeof mti === 'string' && mti.length === 4 && /^[0-9]{4}$/.test(mti);
}

/** True for a message that expects an answer or acknowledgement (function digit 0, 2, 4 or 6). */
export function isRequest(mti: string): boolean {
  if (!isValidMti(mti)) return false;
  const f = mti.charCodeAt(2) - 48;
  return f < 8 && f % 2 === 0;
}

/** True for 0110, 0210, 0430, 0810, … (function digit 1, 3, 5 or 7). */
export function isResponse(mti: string): boolean {
  if (!isValidMti(mti)) return false;
  const f = mti.charCodeAt(2) - 48;
  return f < 8 && f % 2 === 1;
}

/** '0200' → '0210', '0420' → '0430', '1804' → '1814'. Throws on an MTI that is not a request. */
export function responseMti(mti: string): string {
  if (!isRequest(mti)) throw new RangeError(`responseMti: ${JSON.stringify(mti)} is not a request MTI`);
  return mti.slice(0, 2) + String(mti.charCodeAt(2) - 48 + 1) + mti[3];
}

/** '0210' → '0200': the request MTI a response answers (used to match responses to pending requests). */
export function requestMti(mti: string): string {
  if (!isResponse(mti)) throw new RangeError(`requestMti: ${JSON.stringify(mti)} is not a response MTI`);
  return mti.slice(0, 2) + String(mti.charCodeAt(2) - 48 - 1) + mti[3];
}

/** 1987, 1993 or 2003 from the version digit; null for national/private (8, 9) or reserved versions. */
export function mtiVersion(mti: string): 1987 | 1993 | 2003 | null {
  if (!isValidMti(mti)) return null;
  return mti[0] === '0' ? 1987 : mti[0] === '1' ? 1993 : mti[0] === '2' ? 2003 : null;
}
