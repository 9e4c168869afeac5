import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { ServerDetailQuery, ServerUpdatedSubscription } from '../lib/documents';
import type { ServerUpdatedSubscription as Update } from '../gql/graphql';
import { ClusterEvents } from '../components/ClusterEvents';
import { DrainPreview, DrainProgress } from '../components/Moves';
import { OperationProgress } from '../components/OperationProgress';
import { Empty, ErrorState, Loading, Notice, type PageNotice } from '../components/States';
import { TargetOperations } from '../components/TargetOperations';
import { apiError } from '../lib/errors';
import { useLive, usePollWhile } from '../lib/live';
import { newer, overlay } from '../lib/liveList';
import { useAccess } from '../lib/projects';
import { SERVER_TRANSITIONAL, unfinished } from '../lib/states';
import { RemoveServerDialog } from './server/RemoveServerDialog';
import { ServerFacts, ServerLoad } from './server/ServerFacts';
import { ServerHeader } from './server/ServerHeader';
import { ServerInstances } from './server/ServerInstances';
import { useDrain } from './server/useDrain';

/**
 * Server `id` as fetched, and its newest live version: refetched when it changes (its
 * operations and instance count change with its state), and polled while it is changing state.
 */
function useServer(id: string) {
  const [result, reexecute] = useQuery({ query: ServerDetailQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Update['serverUpdated'] | null>(null);
  useEffect(() => setLive(null), [id]);
  useLive(
    ServerUpdatedSubscription,
    { id },
    (d) => {
      setLive((held) => newer(held, d.serverUpdated));
      refetch();
    },
    refetch,
  );
  const st = (live ?? result.data?.server)?.state;
  usePollWhile(!!st && SERVER_TRANSITIONAL.includes(st), refetch, 3000);
  return { result, refetch, live };
}

/** What the page says first: that the server was just provisioned or registered, when it was. */
function arrivalNotice(state: unknown): PageNotice | null {
  const st = state as { provisioned?: boolean; registered?: boolean } | null;
  if (st?.registered)
    return {
      tone: 'ok',
      text: 'Server registered. Add its SSH key (below) to the host’s authorized_keys: Toygres then logs in with it to record its host key, PostgreSQL versions, memory and disk; this page updates by itself.',
    };
  if (st?.provisioned) return { tone: 'ok', text: 'Server requested. Its VM is being made; this page updates by itself.' };
  return null;
}

export function ServerDetailPage() {
  const { id = '' } = useParams();
  const access = useAccess();
  const location = useLocation();
  const { result, refetch, live } = useServer(id);
  // The operation this page started (or that made the server), followed below the header.
  const [following, setFollowing] = useState<string | null>(() => (location.state as { operationId?: string } | null)?.operationId ?? null);
  const [notice, setNotice] = useState<PageNotice | null>(() => arrivalNotice(location.state));
  const [removing, setRemoving] = useState(false);
  const drain = useDrain(id, setNotice, refetch);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the server" />;
  if (!result.data) return <Loading what="Loading server" />;
  if (!result.data.server)
    return (
      <Empty title="Server not found">
        <p className="muted">It may be in a project you cannot see.</p>
        <Link className="btn" to="/servers">
          Back to servers
        </Link>
      </Empty>
    );

  const base = result.data.server;
  const server = overlay(base, live);
  const operate = access.canOperateIn(server.projectId) && server.state !== 'REMOVED';
  const isDrain = (kind: string) => kind === 'drain_server' || kind === 'remove_server';
  // The newest drain (or removal, which drains first) of this server, running or finished: its moves are shown.
  const drainShown = drain.started ?? base.operations.find((o) => isDrain(o.kind))?.id ?? null;
  // One drain or removal at a time: the API refuses a second while one is under way.
  const changing = base.operations.some((o) => isDrain(o.kind) && unfinished(o.status));

  return (
    <section>
      <ServerHeader
        server={server}
        operate={operate}
        busy={drain.busy}
        changing={changing}
        previewing={drain.preview != null}
        onDrain={() => void drain.showPreview()}
        onRemove={() => setRemoving(true)}
      />
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      {server.state === 'FAILED' && (
        <Notice tone="bad">
          <strong>Failed:</strong> {server.failureReason ?? 'no reason was recorded'}. {operate && 'Remove it to delete what is left of it.'}
        </Notice>
      )}
      {drain.preview && (
        <DrainPreview
          serverName={server.name}
          plan={drain.preview}
          busy={drain.busy}
          error={drain.error}
          onStart={() => void drain.start()}
          onCancel={drain.cancel}
        />
      )}
      {following && <OperationProgress id={following} onChange={refetch} />}
      {drainShown && <DrainProgress key={drainShown} id={drainShown} onChange={refetch} />}

      <div className="grid-2">
        <ServerFacts server={server} fetched={base} />
        <ServerLoad server={server} fetched={base} />
      </div>

      <ServerInstances
        serverId={server.id}
        serverName={server.name}
        instances={base.instances}
        onGap={refetch}
        createLink={operate && server.state === 'ACTIVE' ? `/instances/new?provider=SERVER&server=${server.id}` : undefined}
      />

      <TargetOperations title="Operations" tableLabel="Operations" targetId={server.id} targetName={server.name} operations={base.operations} />

      <div className="card">
        <h2>Events</h2>
        <ClusterEvents serverId={server.id} />
      </div>

      {removing && (
        <RemoveServerDialog
          server={server}
          instanceCount={base.instanceCount}
          onCancel={() => setRemoving(false)}
          onStarted={(opId) => {
            setRemoving(false);
            setFollowing(opId);
            setNotice({ tone: 'info', text: 'Removal requested; its operation is followed below.' });
            refetch();
          }}
        />
      )}
    </section>
  );
}
