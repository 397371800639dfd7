import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { BeaconSchema } from './gen/aegis/events/v1/result_events_pb';
import { beaconFromWire, WireError } from './wire.mapping';

const beacon = (sealedBy: Uint8Array[]) =>
  create(BeaconSchema, {
    height: 7n,
    value: new Uint8Array(32).fill(1),
    previous: new Uint8Array(32).fill(2),
    signature: new Uint8Array(65).fill(3),
    sealedBy,
  });

describe('beaconFromWire', () => {
  it('maps a sealed link with its path, and a self-signed one with none', () => {
    expect(beaconFromWire(beacon([new Uint8Array(32).fill(4)])).sealedBy).toEqual([new Uint8Array(32).fill(4)]);
    expect(beaconFromWire(beacon([])).sealedBy).toEqual([]);
  });

  it('refuses a path digest of the wrong length or a path longer than a seal covers, naming the field', () => {
    const failure = (b: ReturnType<typeof beacon>): string | undefined => {
      try {
        beaconFromWire(b);
      } catch (err) {
        expect(err).toBeInstanceOf(WireError);
        return (err as WireError).field;
      }
      return undefined;
    };
    expect(failure(beacon([new Uint8Array(32), new Uint8Array(31)]))).toBe('beacon.sealed_by[1]');
    expect(failure(beacon(Array.from({ length: 16 }, () => new Uint8Array(32))))).toBe('beacon.sealed_by');
    expect(failure(beacon(Array.from({ length: 15 }, () => new Uint8Array(32))))).toBeUndefined();
  });
});
