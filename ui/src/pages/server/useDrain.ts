import { useEffect, useState } from 'react';
import { useMutation } from 'urql';
import { DrainServerMutation } from '../../lib/documents';
import type { DrainPlanFieldsFragment } from '../../gql/graphql';
import type { PageNotice } from '../../components/States';
import { apiError } from '../../lib/errors';

/**
 * Draining server `id` from its page: a preview first (a dry run), then the drain itself only on
 * request. What happened goes to `onNotice`; `onChanged` refetches the server once it started.
 */
export function useDrain(id: string, onNotice: (notice: PageNotice) => void, onChanged: () => void) {
  const [drain, doDrain] = useMutation(DrainServerMutation);
  // The preview, why starting from it was refused, and the drain started from it on this page.
  const [preview, setPreview] = useState<DrainPlanFieldsFragment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  useEffect(() => {
    setPreview(null);
    setStarted(null);
  }, [id]);

  const showPreview = async () => {
    setError(null);
    const res = await doDrain({ id, dryRun: true });
    const e = apiError(res.error);
    if (e) onNotice({ tone: 'bad', text: `Could not preview the drain: ${e.message}` });
    else if (res.data) setPreview(res.data.drainServer.plan);
  };

  const start = async () => {
    setError(null);
    const res = await doDrain({ id, dryRun: false });
    const e = apiError(res.error);
    if (e) {
      // Refused before anything moved (room went since the preview): say why, and show the plan as it is now.
      setError(`Drain refused: ${e.message}`);
      const again = await doDrain({ id, dryRun: true });
      if (again.data) setPreview(again.data.drainServer.plan);
      return;
    }
    const op = res.data?.drainServer.operation;
    setPreview(null);
    if (op) {
      setStarted(op.id);
      onNotice({ tone: 'info', text: "Drain started: each instance's move is followed below." });
    }
    onChanged();
  };

  const cancel = () => {
    setPreview(null);
    setError(null);
  };

  return { preview, error, started, busy: drain.fetching, showPreview, start, cancel };
}
