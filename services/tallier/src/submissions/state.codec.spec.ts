import type { SubmissionState } from '@aegis/consensus';
import { VerdictKind } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { STATE_VERSION, StateCodecError, stateFromJson, stateToJson } from './state.codec';

const A = `0x${'a'.repeat(40)}`;
const B = `0x${'b'.repeat(40)}`;
const state: SubmissionState = {
  submissionId: `0x${'1'.repeat(64)}`,
  taskId: `0x${'2'.repeat(64)}`,
  submitter: A,
  tally: 'stake',
  fee: 10n ** 30n,
  selectedVerifiers: [B],
  phase: 'disputed',
  openedAt: 1_000,
  closesAt: 2_000,
  extensions: 1,
  widened: true,
  disputeOpen: true,
  verdicts: [{ verifier: B, kind: VerdictKind.REJECT, at: 1_500 }],
  failedAudits: [],
  lastEventAt: 1_500,
  decision: null,
};

/** A JSON round trip, as the jsonb column does it. */
const stored = (json: unknown): unknown => JSON.parse(JSON.stringify(json));

describe('tallier state codec', () => {
  it('writes the current version and reads back exactly what it wrote', () => {
    const json = stateToJson(state);
    expect(json.version).toBe(STATE_VERSION);
    expect(json.fee).toBe('1000000000000000000000000000000');
    expect(stateFromJson(stored(json))).toEqual(state);
  });

  it('reads an unversioned (version 0) row, giving fields added since the value they had then', () => {
    const { version: _v, widened: _w, tally: _t, failedAudits: _f, ...v0 } = stateToJson(state);
    expect(stateFromJson(stored(v0))).toEqual({ ...state, tally: 'spec', widened: true, failedAudits: [] });
    expect(stateFromJson(stored({ ...v0, extensions: 0 })).widened).toBe(false);
  });

  it('refuses a version it does not know, and a current-version row that lacks a field, naming it', () => {
    expect(() => stateFromJson(stored({ ...stateToJson(state), version: 2 }))).toThrow(
      /^version: is 2: this tallier reads state versions 0 \(unversioned\) and 1$/,
    );
    const { widened: _w, ...noWidened } = stateToJson(state);
    expect(() => stateFromJson(stored(noWidened))).toThrow(StateCodecError);
    expect(() => stateFromJson(stored(noWidened))).toThrow(/^widened: is missing/);
  });
});
