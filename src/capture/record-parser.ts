/** One capture interface of a file: pcap has one, pcapng one per Interface Description Block. */
export interface CaptureInterface {
  interfaceId: number;
  linkType: number;
  /** Snap length from the file header or IDB; 0 means "not set". */
  snapLengthBytes: number;
  /** Timestamp unit as written: `us`, `ns`, `10^-N s` or `2^-N s`. */
  timestampResolution: string;
  packets: number;
}

/**
 * A capture-file format reader working on a sliding window of the file. The file reader calls
 * `parseHeader` once on the first chunk, then `parse` on each chunk; both see absolute positions
 * inside the chunk buffer.
 */
export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  readonly byteOrder: 'little-endian' | 'big-endian';
  /**
   * Bytes the record at the returned position needs when `parse` stopped at an incomplete
   * one, so the reader can grow its buffer; 0 when it stopped at the end of the data.
   */
  readonly pendingBytes: number;
  /** Set when the data after the header is structurally broken; reading stops there. */
  readonly corruption: string | undefined;
  /** Validates the file header and returns its length; throws a FG_ERR_CAPTURE_FILE_FORMAT error. */
  parseHeader(bytes: Uint8Array, end: number): number;
  /** Delivers every whole record in [pos, end) and returns the position after the last one. */
  parse(bytes: Uint8Array, pos: number, end: number): number;
  interfaces(): CaptureInterface[];
}
