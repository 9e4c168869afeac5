import type { MouseEvent } from 'react';
import { dateTime } from '../../lib/format';
import { utc } from '../../lib/backups';

/**
 * The restore window as a timeline: a bar from the end of the oldest backup kept to the
 * latest restorable moment, the backups on it, the stretch up to now not archived yet, and
 * (in the restore form) the time picked, which a click on the bar changes. Times show in
 * local time, with UTC on hover.
 */
export function RestoreTimeline({
  earliest,
  latest,
  backups = [],
  now = Date.now(),
  selected,
  onPick,
}: {
  /** The window's ends (RFC 3339). */
  earliest: string;
  latest: string;
  /** When each backup kept finished (RFC 3339). */
  backups?: readonly string[];
  now?: number;
  /** The time picked, in milliseconds. */
  selected?: number | null;
  /** Pick the time under a click on the bar (kept inside the window). */
  onPick?: (ms: number) => void;
}) {
  const from = Date.parse(earliest);
  const to = Date.parse(latest);
  const end = Math.max(now, to);
  // A little room on the left, so the first backup's marker is not cut in half.
  const span = Math.max(end - from, 1000);
  const start = from - span * 0.02;
  const width = end - start;
  const x = (t: number) => ((t - start) / width) * 1000;
  const pick = onPick
    ? (e: MouseEvent<SVGSVGElement>) => {
        const box = e.currentTarget.getBoundingClientRect();
        if (box.width <= 0) return;
        const t = start + ((e.clientX - box.left) / box.width) * width;
        onPick(Math.min(to, Math.max(from, Math.round(t / 1000) * 1000)));
      }
    : undefined;

  return (
    <figure className="restore-timeline" data-testid="restore-timeline" aria-label={`Restore window from ${dateTime(earliest)} to ${dateTime(latest)}`}>
      <svg viewBox="0 0 1000 40" preserveAspectRatio="none" className={onPick ? 'pickable' : undefined} onClick={pick} aria-hidden>
        <rect x={0} y={14} width={1000} height={12} rx={3} className="tl-track" />
        <rect x={x(from)} y={14} width={Math.max(x(to) - x(from), 2)} height={12} rx={3} className="tl-window" data-testid="timeline-window">
          <title>
            Restorable: {utc(earliest)} to {utc(latest)}
          </title>
        </rect>
        {end > to && (
          <rect x={x(to)} y={14} width={x(end) - x(to)} height={12} className="tl-pending">
            <title>Not archived yet: the window catches up within about a minute</title>
          </rect>
        )}
        {backups.map((b) => {
          const t = Date.parse(b);
          if (Number.isNaN(t) || t < start || t > end) return null;
          return (
            <line key={b} x1={x(t)} x2={x(t)} y1={6} y2={34} className="tl-backup" vectorEffect="non-scaling-stroke" data-testid="timeline-backup">
              <title>Backup finished {utc(b)}</title>
            </line>
          );
        })}
        {selected != null && selected >= from && selected <= to && (
          <line x1={x(selected)} x2={x(selected)} y1={0} y2={40} className="tl-selected" vectorEffect="non-scaling-stroke" data-testid="timeline-selected" />
        )}
      </svg>
      <figcaption className="tl-labels small">
        <span title={utc(earliest)} data-testid="window-earliest">
          {dateTime(earliest)}
        </span>
        <span title={utc(latest)} data-testid="window-latest">
          {dateTime(latest)}
        </span>
      </figcaption>
    </figure>
  );
}
