import type { BackupKind, BackupStatus, Provider, RestoreDrillStatus } from '../gql/graphql';
import { errorField, type ApiError, type FieldRule } from './errors';
import type { Look } from './states';

/**
 * Backups, restores and drills: how their states are shown, the times the restore form works
 * in (the browser's `datetime-local` is local time without a zone; the API speaks UTC), and
 * where an error of the restore and policy forms belongs.
 */

export const BACKUP_STATUS: Record<BackupStatus, Look> = {
  RUNNING: { tone: 'busy', help: 'Being taken' },
  SUCCEEDED: { tone: 'ok', help: 'In the repository' },
  FAILED: { tone: 'bad', help: 'Its operation gave up' },
  EXPIRED: { tone: 'muted', help: 'Removed by the retention' },
};

export const BACKUP_KIND: Record<BackupKind, Required<Look>> = {
  FULL: { tone: 'muted', label: 'Full', help: 'Every file' },
  DIFFERENTIAL: { tone: 'muted', label: 'Differential', help: 'What changed since the last full backup' },
  INCREMENTAL: { tone: 'muted', label: 'Incremental', help: 'What changed since the last backup of any type' },
};

export const DRILL_STATUS: Record<RestoreDrillStatus, Look> = {
  RUNNING: { tone: 'busy', help: 'Restoring or checking' },
  SUCCEEDED: { tone: 'ok', help: 'The backup restored, started, and passed its checks' },
  FAILED: { tone: 'bad', help: 'The backup did not restore, start or pass its checks' },
};

/** Whether instances of `provider` can be backed up at all (the API answers UNSUPPORTED otherwise). */
export function backupsSupported(provider: Provider): boolean {
  return provider !== 'KUBERNETES';
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-01-02 03:04:05 UTC`: what the dashboard shows on hover for a time it shows in local time. */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** A `datetime-local` input's value for `ms` (milliseconds since the epoch), in local time, to the second. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * The moment a `datetime-local` value (`2026-01-02T03:04` or `2026-01-02T03:04:05`, local
 * time) names, in milliseconds since the epoch; null when it names none.
 */
export function fromLocalInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  // `new Date` rolls 31 February over to March: refuse what it had to roll.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/** The restore window, to the second, as the picker can name it: its first and last whole seconds. */
export interface Window {
  earliest: number;
  latest: number;
}

/**
 * The window `earliestRestoreTime`..`latestRestoreTime` in whole seconds (the picker's
 * precision): its start rounded up, its end down. Null before the first backup, or when it is
 * shorter than a second.
 */
export function restoreWindow(earliest: string | null | undefined, latest: string | null | undefined): Window | null {
  if (!earliest || !latest) return null;
  const from = Math.ceil(Date.parse(earliest) / 1000) * 1000;
  const to = Math.floor(Date.parse(latest) / 1000) * 1000;
  if (Number.isNaN(from) || Number.isNaN(to) || from > to) return null;
  return { earliest: from, latest: to };
}

/** Why the picked time (a `datetime-local` value) cannot be sent, or null when it can. */
export function checkTargetTime(value: string, window: Window): string | null {
  const at = fromLocalInput(value);
  if (at == null) return 'Pick a date and a time.';
  if (at < window.earliest || at > window.latest)
    return `Pick a time inside the restore window, from ${new Date(window.earliest).toLocaleString()} to ${new Date(window.latest).toLocaleString()}.`;
  return null;
}

/** `812 ms`, `12.4 s`, `3m 05s`, `2h 10m`: a drill's RTO or RPO. */
export function ms(value: number): string {
  const v = Math.max(0, value);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${Number((v / 1000).toFixed(1))} s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)}m ${pad(Math.floor((v % 60_000) / 1000))}s`;
  return `${Math.floor(v / 3_600_000)}h ${pad(Math.floor((v % 3_600_000) / 60_000))}m`;
}

export type RestoreField = 'name' | 'targetTime' | 'plan' | 'storageGb';

/** restoreInstance: where the server's refusal belongs (see jobs/src/backup.rs `restore` and `instance::validate`). */
export const RESTORE_RULES: FieldRule<RestoreField>[] = [
  ['INVALID_INPUT', /^targetTime\b/i, 'targetTime'],
  ['INVALID_INPUT', /^name\b/i, 'name'],
  ['CONFLICT', /^an instance named /i, 'name'],
  ['INVALID_INPUT', /^unknown plan\b/i, 'plan'],
  ['INVALID_INPUT', /^storageGb\b/i, 'storageGb'],
];

export function restoreErrorField(err: ApiError): RestoreField | null {
  return errorField(err, RESTORE_RULES);
}

/** setBackupPolicy and setRestoreDrillPolicy. */
export const POLICY_RULES: FieldRule<'schedule' | 'retentionDays'>[] = [
  ['INVALID_INPUT', /^schedule\b/i, 'schedule'],
  ['INVALID_INPUT', /^retentionDays\b/i, 'retentionDays'],
];

/** The instance name a restore suggests: `<source>-restored`, cut to fit a DNS label. */
export function restoredName(source: string): string {
  return `${source.slice(0, 63 - '-restored'.length).replace(/-+$/, '')}-restored`;
}
