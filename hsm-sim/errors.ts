// A command failure with its payShield error code; the dispatcher turns it into `<response code><error code>`.
export class HsmFail extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HsmFail';
  }
}

/** The error codes this simulator answers with (payShield host command manual meanings). */
export const ERROR_CODES = {
  ok: '00',
  verifyFailed: '01',
  invalidKeyTypeCode: '04',
  invalidKeyLengthFlag: '05',
  sourceParity: '10',
  destParity: '11',
  invalidInput: '15',
  pinBlockInvalid: '20',
  pinBlockFormat: '23',
  pinLength: '24',
  decimalisationTable: '25',
  keyScheme: '26',
  keyLength: '27',
  keyType: '28',
  functionNotPermitted: '29',
  dataLength: '80',
  unknownCommand: '68',
} as const;
