import { TrailproofError } from '../errors.js';

/**
 * Hex decoding with the reference's failure messages (behaviour §3.8: Python's binascii.unhexlify,
 * `Odd-length string` or `Non-hexadecimal digit found`). Either case is accepted.
 */
export class HexError extends TrailproofError {
  constructor(message: string) {
    super('format', message);
  }
}

export function unhexlify(text: string): Uint8Array {
  // Python checks the argument is ASCII before anything else.
  if (/[^\x00-\x7f]/.test(text)) throw new HexError('string argument should contain only ASCII characters');
  if (text.length % 2 !== 0) throw new HexError('Odd-length string');
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new HexError('Non-hexadecimal digit found');
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
