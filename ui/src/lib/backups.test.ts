import { describe, expect, it } from 'vitest';
import { checkTargetTime, fromLocalInput, ms, restoredName, restoreErrorField, restoreWindow, toLocalInput, utc } from './backups';

describe('restore times', () => {
  it('go from an instant to a datetime-local value in local time and back, to the second', () => {
    const at = Date.parse('2026-03-04T05:06:07.890Z');
    const local = toLocalInput(at);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(fromLocalInput(local)).toBe(Date.parse('2026-03-04T05:06:07Z'));
    // What the browser's input gives when the seconds are 0.
    expect(fromLocalInput(local.slice(0, 16))).toBe(Date.parse('2026-03-04T05:06:00Z'));
  });

  it('refuse what names no moment', () => {
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2026-02-31T10:00')).toBeNull();
    expect(fromLocalInput('yesterday')).toBeNull();
  });

  it('show UTC on hover', () => {
    expect(utc('2026-03-04T05:06:07.890Z')).toBe('2026-03-04 05:06:07 UTC');
    expect(utc(null)).toBe('—');
  });

  it('keep to the whole seconds inside the window', () => {
    expect(restoreWindow('2026-01-01T00:00:00.200Z', '2026-01-01T00:10:00.900Z')).toEqual({
      earliest: Date.parse('2026-01-01T00:00:01Z'),
      latest: Date.parse('2026-01-01T00:10:00Z'),
    });
    expect(restoreWindow(null, '2026-01-01T00:10:00Z')).toBeNull();
    expect(restoreWindow('2026-01-01T00:00:00.200Z', '2026-01-01T00:00:00.900Z')).toBeNull();
  });

  it('accept a time inside the window and refuse one outside it', () => {
    const win = restoreWindow('2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z')!;
    expect(checkTargetTime(toLocalInput(Date.parse('2026-01-01T00:30:00Z')), win)).toBeNull();
    expect(checkTargetTime(toLocalInput(win.earliest), win)).toBeNull();
    expect(checkTargetTime(toLocalInput(win.latest), win)).toBeNull();
    expect(checkTargetTime(toLocalInput(win.latest + 1000), win)).toMatch(/inside the restore window/);
    expect(checkTargetTime(toLocalInput(win.earliest - 1000), win)).toMatch(/inside the restore window/);
    expect(checkTargetTime('', win)).toBe('Pick a date and a time.');
  });
});

describe('backups', () => {
  it('write durations the way drills measure them', () => {
    expect(ms(812.4)).toBe('812 ms');
    expect(ms(12_345)).toBe('12.3 s');
    expect(ms(185_000)).toBe('3m 05s');
    expect(ms(7_800_000)).toBe('2h 10m');
  });

  it('suggest a restored name that is still a DNS label', () => {
    expect(restoredName('orders')).toBe('orders-restored');
    const long = restoredName('a'.repeat(63));
    expect(long).toHaveLength(63);
    expect(long.endsWith('-restored')).toBe(true);
  });

  it('put the server’s refusals under the field they are about', () => {
    expect(restoreErrorField({ code: 'INVALID_INPUT', message: 'targetTime 2026-01-01T00:00:00+00:00 is outside the restore window of instance orders' })).toBe('targetTime');
    expect(restoreErrorField({ code: 'CONFLICT', message: 'an instance named orders-restored already exists' })).toBe('name');
    expect(restoreErrorField({ code: 'INVALID_INPUT', message: 'instance orders has no backup to restore from yet' })).toBeNull();
  });
});
