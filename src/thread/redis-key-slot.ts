/** How many hash slots a Redis Cluster has. */
const SLOTS = 16384;

/**
 * The Redis Cluster hash slot of `key`, as the cluster computes it: CRC16 (XMODEM) of the key's
 * UTF-8 bytes, modulo 16384; when the key holds a non-empty hash tag (the bytes between its
 * first `{` and the next `}`), of that tag only, so that keys sharing a tag share a slot.
 * @internal
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b); // '{'
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  return crc16(bytes, start, end) % SLOTS;
}

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0) of `bytes[start, end)`. */
function crc16(bytes: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
