// The one error type the codec throws. Decoding arbitrary bytes either yields a message or a CodecError;
// callers map it to a response code (e.g. 30 format error) without string matching.

export type CodecReason =
  | 'truncated' // fewer bytes left than the header/length says
  | 'length-exceeds-max' // a declared or given length is above the field maximum
  | 'bad-length' // a length prefix that is not a number, or a value of the wrong fixed size
  | 'bad-digit' // a numeric field holds a non-digit
  | 'bad-char' // a character outside the field's content class / code page
  | 'bad-hex' // hex text that is not hex
  | 'bad-bitmap' // bitmap missing, malformed, or naming a field the spec does not define
  | 'bad-mti' // MTI not four digits
  | 'bad-tlv' // BER-TLV / private TLV sub-fields that do not parse
  | 'bad-value' // a JSON value of the wrong shape on encode
  | 'unknown-field' // a field number the spec does not define
  | 'trailing-bytes' // bytes left after the last field
  | 'bad-frame' // framing: garbage length header, oversize frame
  | 'bad-spec'; // a spec that does not validate

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    /** Field number (0 = MTI, 1 = bitmap), or null when the error is not about one field. */
    readonly field: number | null,
    /** Byte offset into the decoded buffer (or into the output, on encode) where the problem is. */
    readonly offset: number,
    readonly reason: CodecReason,
    message: string,
  ) {
    super(field === null ? `${message} (offset ${offset})` : `field ${field}: ${message} (offset ${offset})`);
  }

  toJSON(): { error: string; reason: CodecReason; field: number | null; offset: number } {
    return { error: this.message, reason: this.reason, field: this.field, offset: this.offset };
  }
}
