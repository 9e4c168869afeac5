export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (Math.abs(s) < 5) return 'just now';
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.floor(abs / 60), 'm'] : abs < 86400 ? [Math.floor(abs / 3600), 'h'] : [Math.floor(abs / 86400), 'd'];
  return s >= 0 ? `${n}${unit} ago` : `in ${n}${unit}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function duration(fromIso: string, toIso: string | null | undefined): string {
  const from = Date.parse(fromIso);
  const to = toIso ? Date.parse(toIso) : Date.now();
  const ms = Math.max(0, to - from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

/** `postgresql://user:secret@host/db` with the password replaced by dots. */
export function maskPassword(conn: string): string {
  return conn.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@]*)(@)/i, (_, a, _p, c) => `${a}••••••••${c}`);
}

export function hasPassword(conn: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:[^@]+@/i.test(conn);
}

export function kindLabel(kind: string): string {
  return kind.replace(/_/g, ' ');
}
