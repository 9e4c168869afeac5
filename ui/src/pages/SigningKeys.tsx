import { useCallback, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { RotateSigningKeyMutation, SigningKeysQuery } from '../lib/documents';
import { Badge, KeyStateBadge } from '../components/Badge';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, relativeTime } from '../lib/format';
import { useAccess } from '../lib/projects';

export function SigningKeysPage() {
  const a = useAccess();
  const [result, reexecute] = useQuery({ query: SigningKeysQuery, pause: !a.isSiteAdmin, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [confirming, setConfirming] = useState(false);
  const [rotateError, setRotateError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: React.ReactNode } | null>(null);
  const [rotate, doRotate] = useMutation(RotateSigningKeyMutation);

  if (!a.isSiteAdmin)
    return (
      <Empty title="Only site admins manage signing keys">
        <p className="muted">The keys sign every session's token.</p>
      </Empty>
    );
  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the signing keys" />;
  if (!result.data) return <Loading what="Loading signing keys" />;
  const keys = result.data.signingKeys;
  const configured = keys.some((k) => k.configured && k.state === 'active');

  return (
    <section>
      <div className="page-head">
        <h1>Signing keys</h1>
        <button
          className="btn btn-primary"
          disabled={configured}
          title={configured ? 'The key comes from TOYGRES_JWT_SECRET: change it there' : undefined}
          onClick={() => {
            setRotateError(null);
            setConfirming(true);
          }}
        >
          Rotate signing key…
        </button>
      </div>
      <p className="muted">
        These keys sign and verify session tokens, newest first. Rotating adds a key that signs new tokens at once, in every API process; the previous one
        retires after the tokens it signed have expired.
      </p>
      {configured && (
        <Notice tone="info">
          The signing key comes from the configuration (<code>TOYGRES_JWT_SECRET</code>), so it cannot be rotated here: change the variable and restart.
        </Notice>
      )}
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)} testId="keys-notice">
          {notice.text}
        </Notice>
      )}
      <div className="table-wrap">
        <table className="table" aria-label="Signing keys">
          <thead>
            <tr>
              <th>Key id (kid)</th>
              <th>State</th>
              <th>Algorithm</th>
              <th>Created</th>
              <th>Retires</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.kid} data-kid={k.kid} data-state={k.state}>
                <td className="mono small">{k.kid}</td>
                <td>
                  <KeyStateBadge state={k.state} />
                </td>
                <td className="mono small">{k.algorithm}</td>
                <td className="small muted" title={k.createdAt ? dateTime(k.createdAt) : undefined}>
                  {relativeTime(k.createdAt)}
                </td>
                <td className="small" title={k.retireAfter ? dateTime(k.retireAfter) : undefined}>
                  {k.retireAfter ? (k.state === 'retired' ? dateTime(k.retireAfter) : relativeTime(k.retireAfter)) : <span className="muted">—</span>}
                </td>
                <td>{k.configured ? <Badge tone="muted">configuration</Badge> : <Badge tone="info">database</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {confirming && (
        <ConfirmDialog
          title="Rotate the signing key?"
          confirmLabel="Rotate key"
          busyLabel="Rotating…"
          busy={rotate.fetching}
          error={rotateError}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            const res = await doRotate({});
            const e = apiError(res.error);
            if (e) {
              setRotateError(e.code === 'CONFLICT' ? `Cannot rotate: ${e.message}` : e.message);
              return;
            }
            setConfirming(false);
            if (res.data)
              setNotice({
                tone: 'ok',
                text: (
                  <>
                    New tokens are signed with <code>{res.data.rotateSigningKey.kid}</code>. Sessions signed by the previous key, yours included, keep working until
                    they expire.
                  </>
                ),
              });
            refetch();
          }}
        >
          <p>A new key signs every token issued from now on. Tokens signed by the current key keep working until they expire; nobody is logged out.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
