import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { useMutation } from 'urql';
import { DeleteInstanceMutation } from '../../lib/documents';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { apiError } from '../../lib/errors';

/**
 * Delete an instance once its name is typed, then go back to the list. A Kubernetes instance
 * can keep its volume; the backups of others are kept for their retention period (so that it
 * can be restored) unless "Delete its backups too" is ticked.
 */
export function DeleteInstanceDialog({ instance, onCancel }: { instance: { id: string; name: string; provider: string }; onCancel: () => void }) {
  const navigate = useNavigate();
  const [del, doDelete] = useMutation(DeleteInstanceMutation);
  const [error, setError] = useState<string | null>(null);
  const [retainStorage, setRetainStorage] = useState(false);
  const [purgeBackups, setPurgeBackups] = useState(false);
  const kube = instance.provider === 'KUBERNETES';
  return (
    <ConfirmDelete
      name={instance.name}
      busy={del.fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        // Kubernetes only: the server refuses retainStorage for other providers, and
        // Kubernetes instances have no backups.
        const res = await doDelete(kube ? { id: instance.id, retainStorage } : { id: instance.id, purgeBackups });
        const e = apiError(res.error);
        if (e) {
          setError(e.message);
          return;
        }
        navigate('/instances', { state: { deleted: instance.name } });
      }}
    >
      {kube ? (
        <>
          <p>
            This deletes its StatefulSet, pod, services and secret
            {retainStorage ? (
              <>
                , but <strong>keeps its volume</strong> (the PVC) with the data on it.
              </>
            ) : (
              <>
                {' '}
                and its volume, <strong>with all its data</strong>.
              </>
            )}{' '}
            It cannot be undone.
          </p>
          <label className="inline">
            <input type="checkbox" checked={retainStorage} onChange={(e) => setRetainStorage(e.target.checked)} /> Keep the volume (PVC)
          </label>
        </>
      ) : (
        <>
          <p>
            This stops the instance and removes it <strong>with all its data</strong>. It cannot be undone
            {purgeBackups ? (
              <>
                , and <strong>its backups go too</strong>: it cannot be restored afterwards.
              </>
            ) : (
              <>. Its backups are kept for their retention period, so it can still be restored into a new instance from its Backups tab until they expire.</>
            )}
          </p>
          <label className="inline">
            <input type="checkbox" checked={purgeBackups} onChange={(e) => setPurgeBackups(e.target.checked)} /> Delete its backups too
          </label>
        </>
      )}
    </ConfirmDelete>
  );
}
