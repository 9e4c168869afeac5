import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { InstanceDetailQuery, InstanceUpdatedSubscription, OperationUpdatedSubscription } from '../lib/documents';
import type { InstanceUpdatedSubscription as Update } from '../gql/graphql';
import { MoveInstanceDialog, MoveProgress } from '../components/Moves';
import { DataBrowser } from '../components/DataBrowser';
import { Empty, ErrorState, Loading, Notice, type PageNotice } from '../components/States';
import { apiError } from '../lib/errors';
import { useLive, usePollWhile } from '../lib/live';
import { newer, overlay } from '../lib/liveList';
import { useAccess } from '../lib/projects';
import { INSTANCE_TRANSITIONAL, unfinished } from '../lib/states';
import { DeleteInstanceDialog } from './instance/DeleteInstanceDialog';
import { InstanceHeader, InstanceProblems } from './instance/InstanceHeader';
import { InstanceOverview } from './instance/InstanceOverview';
import { BackupsTab } from './instance/Backups';

const CHECKS = 40;

type View = 'overview' | 'backups' | 'data';

/**
 * Instance `id` as fetched, and its newest live version: refetched when it or one of its
 * operations changes, and polled for health checks (which change no state), more often while
 * it is changing state.
 */
function useInstance(id: string) {
  const [result, reexecute] = useQuery({ query: InstanceDetailQuery, variables: { id, checks: CHECKS }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Update['instanceUpdated'] | null>(null);
  useEffect(() => setLive(null), [id]);

  useLive(InstanceUpdatedSubscription, { id }, (d) => {
    setLive((held) => newer(held, d.instanceUpdated));
    refetch();
  }, refetch);
  useLive(OperationUpdatedSubscription, {}, (d) => {
    if (d.operationUpdated.targetId === id) refetch();
  }, refetch);

  const st = (live ?? result.data?.instance)?.state;
  usePollWhile(true, refetch, st && INSTANCE_TRANSITIONAL.includes(st) ? 3000 : 10_000);
  return { result, refetch, live };
}

/** What the page says first: that the instance was just requested (or restored), when it was. */
function arrivalNotice(state: unknown): PageNotice | null {
  const st = state as { created?: boolean; operationId?: string; restoredFrom?: string } | null;
  if (!st?.created) return null;
  return {
    tone: 'ok',
    text: (
      <>
        {st.restoredFrom ? `Restore from ${st.restoredFrom} requested. The new instance is being made from its backups` : 'Instance requested. It is being created'};
        this page updates by itself. {st.operationId && <Link to={`/operations/${st.operationId}`}>Follow the operation</Link>}
      </>
    ),
  };
}

/** The Overview, Backups and (when it may be used) Data tabs. */
function ViewTabs({ view, data, onShow }: { view: View; data: boolean; onShow: (v: View) => void }) {
  const tab = (v: View, label: string) => (
    <button type="button" role="tab" id={`tab-${v}`} aria-selected={view === v} aria-controls={`panel-${v}`} onClick={() => onShow(v)}>
      {label}
    </button>
  );
  return (
    <div className="tabs" role="tablist" aria-label="Instance views">
      {tab('overview', 'Overview')}
      {tab('backups', 'Backups')}
      {data && tab('data', 'Data')}
    </div>
  );
}

/** An instance's page; another instance's (a restore's, say) starts afresh. */
export function InstanceDetailPage() {
  const { id = '' } = useParams();
  return <InstanceDetail key={id} id={id} />;
}

function InstanceDetail({ id }: { id: string }) {
  const a = useAccess();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const { result, refetch, live } = useInstance(id);
  const [notice, setNotice] = useState<PageNotice | null>(() => arrivalNotice(location.state));
  const [dialog, setDialog] = useState<'move' | 'delete' | null>(null);
  // The move started on this page, followed below the header.
  const [moveStarted, setMoveStarted] = useState<string | null>(null);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the instance" />;
  if (!result.data) return <Loading what="Loading instance" />;
  if (!result.data.instance)
    return (
      <Empty title="Instance not found">
        <p className="muted">It may have been deleted, or you may not have access to it.</p>
        <Link className="btn" to="/instances">
          Back to instances
        </Link>
      </Empty>
    );

  const base = result.data.instance;
  const inst = overlay(base, live);
  const operate = a.canOperateIn(inst.projectId);
  // The data browser: for the project's admins and operators, while the instance runs.
  const canBrowse = operate && inst.state === 'RUNNING';
  const asked = params.get('tab');
  const view: View = asked === 'backups' ? 'backups' : canBrowse && asked === 'data' ? 'data' : 'overview';
  const showView = (v: View) => {
    const next = new URLSearchParams(params);
    if (v === 'overview') next.delete('tab');
    else next.set('tab', v);
    setParams(next);
  };
  // A move under way (started here, by a drain, or by another client) is followed live.
  const runningMove = base.operations.find((o) => o.kind === 'move_instance' && unfinished(o.status))?.id ?? null;
  const moveShown = moveStarted ?? runningMove;
  const plan = result.data.instancePlans.find((p) => p.name === inst.plan);

  return (
    <section>
      <InstanceHeader
        instance={inst}
        operate={operate}
        moveRunning={runningMove != null}
        onNotice={setNotice}
        onChanged={refetch}
        onMove={() => setDialog('move')}
        onDelete={() => setDialog('delete')}
      />
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      <InstanceProblems instance={inst} operate={operate} onBackups={() => showView('backups')} />

      {moveShown && <MoveProgress key={moveShown} id={moveShown} onChange={refetch} />}

      <ViewTabs view={view} data={canBrowse} onShow={showView} />
      {view === 'data' ? (
        <div role="tabpanel" id="panel-data" aria-labelledby="tab-data">
          <DataBrowser instanceId={inst.id} />
        </div>
      ) : view === 'backups' ? (
        <div role="tabpanel" id="panel-backups" aria-labelledby="tab-backups">
          <BackupsTab instance={inst} operate={operate} />
        </div>
      ) : (
        <div role="tabpanel" id="panel-overview" aria-labelledby="tab-overview">
          <InstanceOverview instance={inst} fetched={base} plan={plan} operate={operate} onGap={refetch} onChanged={refetch} />
        </div>
      )}

      {dialog === 'move' && (
        <MoveInstanceDialog
          instance={{ id: inst.id, name: inst.name, projectId: inst.projectId, serverId: base.server?.id ?? null }}
          onCancel={() => setDialog(null)}
          onStarted={(opId) => {
            setDialog(null);
            setMoveStarted(opId);
            setNotice({ tone: 'info', text: 'Move started; it is followed below. The connection string names the new server once it has switched.' });
            refetch();
          }}
        />
      )}
      {dialog === 'delete' && <DeleteInstanceDialog instance={inst} onCancel={() => setDialog(null)} />}
    </section>
  );
}
