import { describe, expect, it } from 'vitest';
import { recordKey } from './keys';
import { CLIENT_IDS, CONSUMER_GROUPS, instanceConsumerGroup, SERVICE_NAMES } from './services';

describe('service identities', () => {
  it('give every service a client id and keep group ids distinct', () => {
    expect(Object.keys(CLIENT_IDS).sort()).toEqual([...SERVICE_NAMES].sort());
    const groups = Object.values(CONSUMER_GROUPS);
    expect(new Set(groups).size).toBe(groups.length);
  });

  it('derive per-replica groups from a stable instance id and refuse unsafe ones', () => {
    expect(instanceConsumerGroup('verifier', 'verifier-0')).toBe('aegis.verifier.v1.verifier-0');
    expect(instanceConsumerGroup('ingress', 'pod-7f9c')).not.toBe(instanceConsumerGroup('verifier', 'pod-7f9c'));
    for (const bad of ['', 'Has.Dots', 'a b', 'x'.repeat(64)]) expect(() => instanceConsumerGroup('verifier', bad)).toThrow(/instanceId/);
  });
});

describe('recordKey', () => {
  it('is lowercase 0x hex of the bytes, and refuses empty ids', () => {
    expect(recordKey(new Uint8Array([0xab, 0x01, 0xff]))).toBe('0xab01ff');
    // A view into a larger buffer encodes only its own bytes.
    expect(recordKey(new Uint8Array([9, 0xcd, 9]).subarray(1, 2))).toBe('0xcd');
    expect(() => recordKey(new Uint8Array())).toThrow(RangeError);
  });
});
