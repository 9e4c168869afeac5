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
        {value.includes('sslmode=verify-full') && <DownloadCa />}
      </div>
      {value.includes('sslmode=verify-full') && (
        <p className="muted small">
          The instance serves TLS with a certificate of this installation's CA: save the CA as <code>{CA_FILE_NAME}</code> where your
          client runs (or point <code>sslrootcert</code> at it).
        </p>
      )}
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
