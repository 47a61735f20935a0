/** Hash slots of a Redis Cluster. */
const SLOTS = 16384;

/** CRC16-CCITT (XMODEM) by byte, as Redis Cluster hashes keys. */
const CRC_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

/**
 * The hash slot of a key or shard channel, as Redis Cluster computes it: CRC16 of the key's
 * UTF-8 bytes, or of its hash tag (between the first `{` and the next `}`, when not empty),
 * modulo 16384. Tells which master a shard channel is subscribed on.
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  const close = open < 0 ? -1 : bytes.indexOf(0x7d, open + 1);
  const hashed = close > open + 1 ? bytes.subarray(open + 1, close) : bytes;
  let crc = 0;
  for (const byte of hashed) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[(crc >> 8) ^ byte] as number);
  return crc % SLOTS;
}
