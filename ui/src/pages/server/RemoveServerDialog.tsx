import { useState } from 'react';
import { useMutation } from 'urql';
import { RemoveServerMutation } from '../../lib/documents';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { apiError } from '../../lib/errors';
import { cloudName } from '../../lib/fleet';
import type { ServerData } from './types';

/**
 * Remove a server once its name is typed: it is drained, then its VM deleted (or a registered
 * host forgotten). `onStarted` gets the removal's operation.
 */
export function RemoveServerDialog({ server, instanceCount, onCancel, onStarted }: { server: ServerData; instanceCount: number; onCancel: () => void; onStarted: (operationId: string) => void }) {
  const [remove, doRemove] = useMutation(RemoveServerMutation);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConfirmDelete
      name={server.name}
      title={`Remove ${server.name}?`}
      confirmLabel="Remove server"
      busyLabel="Removing…"
      busy={remove.fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        const res = await doRemove({ id: server.id });
        const e = apiError(res.error);
        if (e) {
          setError(e.message);
          return;
        }
        if (res.data) onStarted(res.data.removeServer.id);
        else onCancel();
      }}
    >
      {server.provider === 'EXISTING' ? (
        <p>
          This drains the server, moving its instances to other servers, then <strong>forgets it</strong>. The host itself is left as it was.
        </p>
      ) : (
        <p>
          This drains the server, moving its instances to other servers, then <strong>deletes its VM at {cloudName(server.provider)}</strong> with
          everything on its disk. It cannot be undone.
        </p>
      )}
      {instanceCount > 0 && (
        <p className="field-error">
          It hosts {instanceCount} live instance{instanceCount === 1 ? '' : 's'}: without room for {instanceCount === 1 ? 'it' : 'every one'} on the other
          servers, nothing moves and the removal fails. Preview with Drain… first.
        </p>
      )}
    </ConfirmDelete>
  );
}
