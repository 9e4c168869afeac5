import { describe, expect, it } from 'vitest';
import { mergeEvents } from './ClusterEvents';

const ev = (id: string, createdAt: string) => ({ id, serverId: null, instanceId: null, kind: 'server_active', severity: 'info', message: id, createdAt });

describe('mergeEvents', () => {
  it('keeps each event once, newest first, whichever list it came in', () => {
    const live = [ev('c', '2026-01-01T00:00:03Z'), ev('b', '2026-01-01T00:00:02Z')];
    const fetched = [ev('b', '2026-01-01T00:00:02Z'), ev('a', '2026-01-01T00:00:01Z')];
    const older = [ev('z', '2025-12-31T00:00:00Z')];
    expect(mergeEvents(live, fetched, older).map((e) => e.id)).toEqual(['c', 'b', 'a', 'z']);
  });
});
