import { useState } from 'react';
import { useClient } from 'urql';
import { CopyButton } from '../../components/CopyButton';
import { CertificateAuthorityQuery } from '../../lib/documents';
import { hasPassword, maskPassword } from '../../lib/format';

/** The file name connection strings give as `sslrootcert`. */
export const CA_FILE_NAME = 'toygres-ca.crt';

/** Save `text` as a file named `name` through the browser's download. */
function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  document.body.removeChild(a);
  URL.revokeObjectURL(url);
}

/**
 * The installation's certificate authority, downloaded as the file the connection string's
 * `sslrootcert` names, so that clients can check the instance's certificate (`verify-full`).
 */
export function DownloadCa() {
  const client = useClient();
  const [failed, setFailed] = useState(false);
  return (
    <>
      <button
        type="button"
        className="btn btn-sm"
        onClick={async () => {
          const result = await client.query(CertificateAuthorityQuery, {}, { requestPolicy: 'network-only' }).toPromise();
          const pem = result.data?.certificateAuthority.pem;
          setFailed(!pem);
          if (pem) download(CA_FILE_NAME, pem);
        }}
      >
        Download CA
      </button>
      {failed && <span className="small error">The CA could not be fetched.</span>}
    </>
  );
}

/**
 * A connection string with its password masked until revealed, and a button that copies it;
 * `hints` false leaves out what the first string on the card already said (the CA, viewers).
 */
export function ConnectionString({ value, testId = 'connection-string', hints = true }: { value: string | null; testId?: string; hints?: boolean }) {
  const [revealed, setRevealed] = useState(false);
  if (!value) return <p className="muted">Available once the instance has a port.</p>;
  const secret = hasPassword(value);
  return (
    <div className="conn">
      <code className="conn-value" data-testid={testId}>
        {revealed || !secret ? value : maskPassword(value)}
      </code>
      <div className="conn-actions">
        {secret && (
          <button type="button" className="btn btn-sm" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
            {revealed ? 'Hide password' : 'Reveal password'}
          </button>
        )}
        <CopyButton text={value} />
        {value.includes('sslmode=verify-full') && <DownloadCa />}
      </div>
      {hints && value.includes('sslmode=verify-full') && (
        <p className="muted small">
          The instance serves TLS with a certificate of this installation's CA: save the CA as <code>{CA_FILE_NAME}</code> where your
          client runs (or point <code>sslrootcert</code> at it).
        </p>
      )}
      {hints && !secret && <p className="muted small">The password is shown only to admins and operators of the project.</p>}
    </div>
  );
}

/**
 * How to reach an instance: its connection string, host, port, user and database, and with
 * standbys the `readOnly` connection string that prefers them.
 */
export function ConnectionCard({
  instance,
  readOnly = null,
}: {
  instance: { connectionString: string | null; host: string | null; port: number | null; username: string; database: string };
  readOnly?: string | null;
}) {
  return (
    <div className="card">
      <h2>Connection</h2>
      <ConnectionString value={instance.connectionString} />
      {readOnly && (
        <>
          <h3>Read-only</h3>
          <p className="muted small">For reads a standby can serve: standbys preferred, the primary when none answers (libpq 14 and later).</p>
          <ConnectionString value={readOnly} testId="read-only-connection-string" hints={false} />
        </>
      )}
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
