import { useState } from 'react';
import { CopyButton } from '../../components/CopyButton';
import { hasPassword, maskPassword } from '../../lib/format';

/** A connection string with its password masked until revealed, and a button that copies it. */
export function ConnectionString({ value }: { value: string | null }) {
  const [revealed, setRevealed] = useState(false);
  if (!value) return <p className="muted">Available once the instance has a port.</p>;
  const secret = hasPassword(value);
  return (
    <div className="conn">
      <code className="conn-value" data-testid="connection-string">
        {revealed || !secret ? value : maskPassword(value)}
      </code>
      <div className="conn-actions">
        {secret && (
          <button type="button" className="btn btn-sm" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
            {revealed ? 'Hide password' : 'Reveal password'}
          </button>
        )}
        <CopyButton text={value} />
      </div>
      {!secret && <p className="muted small">The password is shown only to admins and operators of the project.</p>}
    </div>
  );
}

/** How to reach an instance: its connection string, host, port, user and database. */
export function ConnectionCard({
  instance,
}: {
  instance: { connectionString: string | null; host: string | null; port: number | null; username: string; database: string };
}) {
  return (
    <div className="card">
      <h2>Connection</h2>
      <ConnectionString value={instance.connectionString} />
      <dl className="props">
        <dt>Host</dt>
        <dd className="mono">{instance.host ?? '—'}</dd>
        <dt>Port</dt>
        <dd className="mono">{instance.port ?? '—'}</dd>
        <dt>User</dt>
        <dd className="mono">{instance.username}</dd>
        <dt>Database</dt>
        <dd className="mono">{instance.database}</dd>
      </dl>
    </div>
  );
}
