import { describe, expect, it } from 'vitest';
import { newer, overlay, uniqueById } from './liveList';

const v = (id: string, state: string, updatedAt: string) => ({ id, state, updatedAt });

describe('live rows', () => {
  it('lay a live version over a row only when it is at least as new', () => {
    const fetched = v('a', 'RUNNING', '2026-01-01T00:00:03Z');
    expect(overlay(fetched, v('a', 'CREATING', '2026-01-01T00:00:02Z')).state).toBe('RUNNING');
    expect(overlay(fetched, v('a', 'STOPPING', '2026-01-01T00:00:03Z')).state).toBe('STOPPING');
    expect(overlay(fetched, v('a', 'STOPPED', '2026-01-01T00:00:04Z')).state).toBe('STOPPED');
    // Another row's version, or none, leaves it as it is.
    expect(overlay(fetched, v('b', 'STOPPED', '2026-01-01T00:00:09Z'))).toBe(fetched);
    expect(overlay(fetched, null)).toBe(fetched);
  });

  it('keep the newer of two events, whichever arrived last', () => {
    const late = v('a', 'CREATING', '2026-01-01T00:00:01Z');
    const fresh = v('a', 'RUNNING', '2026-01-01T00:00:02Z');
    expect(newer(fresh, late)).toBe(fresh);
    expect(newer(late, fresh)).toBe(fresh);
    expect(newer(undefined, late)).toBe(late);
  });

  it('keep each row once, where it first appears', () => {
    expect(uniqueById([v('a', '1', ''), v('b', '2', ''), v('a', '3', '')]).map((r) => r.state)).toEqual(['1', '2']);
  });
});
