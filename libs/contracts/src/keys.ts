/**
 * Record keys are lowercase 0x hex of the identifying bytes (a task hash, an address, a dispute
 * id), so the same entity always lands on the same partition and logs stay readable.
 */
export function recordKey(id: Uint8Array): string {
  if (id.length === 0) throw new RangeError('id: a record key needs at least one byte');
  return `0x${Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')}`;
}
