import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ActiveServersQuery, AddStandbyMutation, FailoverMutation, RemoveStandbyMutation, SwitchoverMutation } from '../lib/documents';
import type { HighAvailabilityFieldsFragment as HighAvailability, InstanceMemberFieldsFragment as Member, InstanceState, OperationStatus, Provider } from '../gql/graphql';
import { MemberStateBadge } from './Badge';
import { ConfirmDialog } from './ConfirmDialog';
import { OperationProgress } from './OperationProgress';
import { apiError } from '../lib/errors';
import { bytes, gb, pauseMs } from '../lib/fleet';
import { dateTime, relativeTime } from '../lib/format';
import { MAX_STANDBYS } from '../lib/instances';
import { unfinished } from '../lib/states';

/** The operations that change an instance's members: one under way is followed in the card. */
const HA_KINDS = ['add_standby', 'remove_standby', 'relocate_standby', 'switchover', 'failover'];

/** What the card needs of the instance. */
export interface HaInstance {
  id: string;
  name: string;
  projectId: string;
  provider: Provider;
  state: InstanceState;
}

/** `812 ms`, `4.2 s`, `3 min`: how far a standby's replay trails the primary. */
export function replayLag(ms: number): string {
  if (ms < 1000) return pauseMs(ms);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** A member by where it runs: its server's name, else (LOCAL instances) its address. */
function memberWhere(m: Member): string {
  if (m.server) return m.server.name;
  return m.host && m.port != null ? `${m.host}:${m.port}` : `member ${m.id.slice(0, 8)}`;
}

/** `the standby on beta`, `the standby at 127.0.0.1:5434`: for dialogs. */
function theStandby(m: Member): string {
  return `the standby ${m.server ? 'on' : 'at'} ${memberWhere(m)}`;
}

type Dialog = { kind: 'add' } | { kind: 'remove'; member: Member } | { kind: 'switchover'; member: Member } | { kind: 'failover' };

/**
 * An instance's High availability card: its members (the primary first) with their state, lag
 * and replay lag; whether commits wait for a standby; its switchovers and failovers. For the
 * project's admins and operators (`operate`), the buttons that add and remove standbys, switch
 * over and fail over, each after a confirmation; the operation started (or one under way in
 * `operations`) is followed below the card. The page refetches on `instanceUpdated` and
 * operation progress, so `members` and `ha` stay live; `onChanged` asks it to refetch now.
 */
export function HighAvailabilityCard({
  instance,
  members,
  ha,
  operations,
  operate,
  onChanged,
}: {
  instance: HaInstance;
  members: readonly Member[];
  ha: HighAvailability;
  operations: readonly { id: string; kind: string; status: OperationStatus }[];
  operate: boolean;
  onChanged: () => void;
}) {
  const [dialog, setDialog] = useState<Dialog | null>(null);
  // The operation started here, followed below the card.
  const [started, setStarted] = useState<string | null>(null);
  const kubernetes = instance.provider === 'KUBERNETES';
  const standbys = members.filter((m) => m.role === 'STANDBY');
  const running = instance.state === 'RUNNING';
  const underWay = operations.find((o) => HA_KINDS.includes(o.kind) && unfinished(o.status))?.id ?? null;
  const followed = started ?? underWay;
  const busy = underWay != null;
  const writer = operate && !kubernetes && instance.state !== 'DELETED';
  const byId = new Map(members.map((m) => [m.id, m]));
  const named = (id: string) => {
    const m = byId.get(id);
    return m ? memberWhere(m) : `a removed member (${id.slice(0, 8)})`;
  };
  const onStarted = (opId: string) => {
    setDialog(null);
    setStarted(opId);
    onChanged();
  };

  const addTitle =
    standbys.length >= MAX_STANDBYS
      ? `It has ${MAX_STANDBYS} standbys, the most it may have`
      : !running
        ? 'Only a running instance gets a standby'
        : busy
          ? 'A change of its members is under way'
          : 'Add a standby that streams its changes, ready to take over';

  return (
    <>
      <div className="card" data-testid="high-availability" role="region" aria-labelledby="ha-title">
        <div className="page-head">
          <h2 id="ha-title">High availability</h2>
          {writer && (
            <div className="actions">
              <button
                type="button"
                className="btn"
                disabled={busy || !running || standbys.length >= MAX_STANDBYS}
                title={addTitle}
                onClick={() => setDialog({ kind: 'add' })}
              >
                Add standby…
              </button>
              {standbys.length > 0 && (
                <button
                  type="button"
                  className="btn btn-danger"
                  disabled={busy || !running}
                  title={running ? 'Promote a standby because the primary is lost' : 'Only a running instance fails over'}
                  onClick={() => setDialog({ kind: 'failover' })}
                >
                  Fail over…
                </button>
              )}
            </div>
          )}
        </div>
        {kubernetes && (
          <p className="muted" data-testid="ha-unsupported">
            Standbys are not available for Kubernetes instances yet.
          </p>
        )}
        {!kubernetes && (
          <dl className="props">
            <dt>Standbys</dt>
            <dd data-testid="ha-standbys">
              {ha.standbys} <span className="muted small">(at most {MAX_STANDBYS})</span>
            </dd>
            <dt>Commits</dt>
            <dd data-testid="ha-synchronous">
              {ha.synchronous ? (
                <>
                  synchronous <span className="muted small">(each waits until a standby has it: a failover loses no acknowledged write)</span>
                </>
              ) : (
                <>
                  asynchronous <span className="muted small">(a failover may lose the last writes a standby had not received)</span>
                </>
              )}
            </dd>
            <dt>Last failover</dt>
            <dd data-testid="ha-last-failover">
              {ha.lastFailoverAt ? <span title={dateTime(ha.lastFailoverAt)}>{relativeTime(ha.lastFailoverAt)}</span> : <span className="muted">never</span>}
            </dd>
          </dl>
        )}
        {members.length > 0 && (
          <MembersTable members={members} provider={instance.provider} writer={writer} running={running} busy={busy} onAsk={setDialog} />
        )}
        {ha.handovers.length > 0 && (
          <>
            <h3>Switchovers and failovers</h3>
            <table className="table" aria-label="Switchovers and failovers">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>From</th>
                  <th>To</th>
                  <th>Writes paused</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {ha.handovers.map((h) => (
                  <tr key={h.id} data-kind={h.planned ? 'switchover' : 'failover'}>
                    <td>
                      <Link to={`/operations/${h.operationId}`}>{h.planned ? 'switchover' : 'failover'}</Link>
                    </td>
                    <td className="small">{named(h.fromMemberId)}</td>
                    <td className="small">{named(h.toMemberId)}</td>
                    <td data-testid="handover-pause">{h.unavailableMs != null ? pauseMs(h.unavailableMs) : <span className="muted">—</span>}</td>
                    <td className="small muted" title={dateTime(h.createdAt)}>
                      {relativeTime(h.createdAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>

      {followed && <OperationProgress key={followed} id={followed} onChange={onChanged} />}

      {dialog?.kind === 'add' && <AddStandbyDialog instance={instance} members={members} onCancel={() => setDialog(null)} onStarted={onStarted} />}
      {dialog?.kind === 'remove' && <RemoveStandbyDialog member={dialog.member} onCancel={() => setDialog(null)} onStarted={onStarted} />}
      {dialog?.kind === 'switchover' && (
        <SwitchoverDialog instance={instance} member={dialog.member} onCancel={() => setDialog(null)} onStarted={onStarted} />
      )}
      {dialog?.kind === 'failover' && <FailoverDialog instance={instance} onCancel={() => setDialog(null)} onStarted={onStarted} />}
    </>
  );
}

/** The members, primary first: role, where, address, state, lag and replay lag, and per standby its buttons. */
function MembersTable({
  members,
  provider,
  writer,
  running,
  busy,
  onAsk,
}: {
  members: readonly Member[];
  provider: Provider;
  writer: boolean;
  running: boolean;
  busy: boolean;
  onAsk: (d: Dialog) => void;
}) {
  return (
    <div className="table-scroll">
      <table className="table" aria-label="Members">
        <thead>
          <tr>
            <th>Role</th>
            <th>Server</th>
            <th>Address</th>
            <th>State</th>
            <th className="num">Lag</th>
            <th className="num">Replay lag</th>
            {writer && <th aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => {
            const primary = m.role === 'PRIMARY';
            const canTakeOver = m.state === 'STREAMING' || m.state === 'LAGGING';
            return (
              <tr key={m.id} data-member={m.id} data-role={m.role} data-state={m.state}>
                <td className={primary ? 'strong' : undefined}>{primary ? 'Primary' : 'Standby'}</td>
                <td>
                  {m.server ? <Link to={`/servers/${m.server.id}`}>{m.server.name}</Link> : provider === 'SERVER' ? <span className="muted">not placed yet</span> : 'this host'}
                </td>
                <td className="mono small">{m.host && m.port != null ? `${m.host}:${m.port}` : <span className="muted">—</span>}</td>
                <td>
                  <MemberStateBadge state={m.state} />
                </td>
                <td className="num mono small" title={m.checkedAt ? `Measured ${dateTime(m.checkedAt)}` : undefined} data-testid="member-lag">
                  {primary || m.lagBytes == null ? '—' : bytes(m.lagBytes)}
                </td>
                <td className="num mono small" data-testid="member-replay-lag">
                  {primary || m.replayLagMs == null ? '—' : replayLag(m.replayLagMs)}
                </td>
                {writer && (
                  <td className="num">
                    {!primary && (
                      <div className="actions end">
                        <button
                          type="button"
                          className="btn btn-sm"
                          disabled={busy || !running || !canTakeOver}
                          title={canTakeOver ? 'Make it the primary; writes pause briefly' : 'Only a streaming standby can take over'}
                          onClick={() => onAsk({ kind: 'switchover', member: m })}
                        >
                          Switch over…
                        </button>
                        <button
                          type="button"
                          className="btn btn-sm"
                          disabled={busy || !running}
                          title={running ? 'Stop it and remove its data' : 'Standbys change only while the instance runs'}
                          onClick={() => onAsk({ kind: 'remove', member: m })}
                        >
                          Remove…
                        </button>
                      </div>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface DialogProps {
  onCancel: () => void;
  onStarted: (operationId: string) => void;
}

/** Ask for one more standby: for SERVER instances on a picked server, or where the placement rule says. */
function AddStandbyDialog({ instance, members, onCancel, onStarted }: DialogProps & { instance: HaInstance; members: readonly Member[] }) {
  const fleet = instance.provider === 'SERVER';
  const [servers] = useQuery({ query: ActiveServersQuery, pause: !fleet, requestPolicy: 'network-only' });
  const [{ fetching }, add] = useMutation(AddStandbyMutation);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Each member on a server of its own: active, reached over SSH, in its project, holding none.
  const taken = new Set(members.map((m) => m.server?.id).filter(Boolean));
  const choices = (servers.data?.servers.nodes ?? []).filter((s) => s.projectId === instance.projectId && s.sshHostKey && !taken.has(s.id));
  return (
    <ConfirmDialog
      title={`Add a standby to ${instance.name}?`}
      confirmLabel="Add standby"
      busyLabel="Starting…"
      busy={fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        setError(null);
        const res = await add(target ? { instanceId: instance.id, serverId: target } : { instanceId: instance.id });
        const e = apiError(res.error);
        if (e) setError(e.message);
        else if (res.data) onStarted(res.data.addStandby.id);
      }}
    >
      <p>
        The standby is made from a base backup of the primary, then streams its changes, ready to take over; it shows as CREATING until it streams.
        {fleet ? ' It runs on a server of its own.' : ' It is another PostgreSQL server process on this host.'} It counts toward the project's standby
        quota.
      </p>
      {fleet && (
        <>
          <label htmlFor="standby-server">Server</label>
          <select id="standby-server" className="input" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">The best server by the placement rule</option>
            {choices.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} — {s.region}
                {s.memoryGb != null ? ` · ${gb(s.memoryGb)}` : ''} · {s.instanceCount} instance{s.instanceCount === 1 ? '' : 's'}
              </option>
            ))}
          </select>
          <p className="field-hint">
            {servers.fetching && !servers.data
              ? 'Loading servers…'
              : choices.length === 0
                ? 'No other active server in this project: the placement rule will say why it cannot add one.'
                : 'Only servers holding no member of this instance. The placement rule picks the one with the most free memory, then disk.'}
          </p>
        </>
      )}
    </ConfirmDialog>
  );
}

/** Remove a standby, once confirmed. */
function RemoveStandbyDialog({ member, onCancel, onStarted }: DialogProps & { member: Member }) {
  const [{ fetching }, remove] = useMutation(RemoveStandbyMutation);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConfirmDialog
      title={`Remove ${theStandby(member)}?`}
      confirmLabel="Remove standby"
      busyLabel="Removing…"
      danger
      busy={fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        setError(null);
        const res = await remove({ memberId: member.id });
        const e = apiError(res.error);
        if (e) setError(e.message);
        else if (res.data) onStarted(res.data.removeStandby.id);
      }}
    >
      <p>
        It stops, and its data and replication slot are removed. The primary keeps serving; with no standby left, nothing can take
        over if it fails.
      </p>
    </ConfirmDialog>
  );
}

/** Hand the primary over to `member`, once confirmed. */
function SwitchoverDialog({ instance, member, onCancel, onStarted }: DialogProps & { instance: HaInstance; member: Member }) {
  const [{ fetching }, switchover] = useMutation(SwitchoverMutation);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConfirmDialog
      title={`Switch ${instance.name} over to ${theStandby(member)}?`}
      confirmLabel="Switch over"
      busyLabel="Starting…"
      busy={fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        setError(null);
        const res = await switchover({ instanceId: instance.id, toMemberId: member.id });
        const e = apiError(res.error);
        if (e) setError(e.message);
        else if (res.data) onStarted(res.data.switchover.id);
      }}
    >
      <p>
        <strong>Writes pause briefly</strong> while the primary shuts down and {theStandby(member)}, holding every committed write, is promoted. The
        pause is measured. <strong>The old primary becomes a standby.</strong>
      </p>
      <p className="muted small">Clients using the connection string (which lists every member) find the new primary when they reconnect.</p>
    </ConfirmDialog>
  );
}

/** Promote the standby holding the most WAL, once confirmed; `force` only when asked for. */
function FailoverDialog({ instance, onCancel, onStarted }: DialogProps & { instance: HaInstance }) {
  const [{ fetching }, failover] = useMutation(FailoverMutation);
  const [force, setForce] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConfirmDialog
      title={`Fail ${instance.name} over?`}
      confirmLabel={force ? 'Force failover' : 'Fail over'}
      busyLabel="Starting…"
      danger
      busy={fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        setError(null);
        const res = await failover(force ? { instanceId: instance.id, force: true } : { instanceId: instance.id });
        const e = apiError(res.error);
        if (e) setError(e.message);
        else if (res.data) onStarted(res.data.failover.id);
      }}
    >
      <p>
        For when the primary is lost: the standby holding the most WAL is promoted, as the failover watcher does by itself. The old primary is stopped
        first; when its host cannot be reached, the failover stops and says so. For planned maintenance, switch over instead.
      </p>
      <label className="inline">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} aria-describedby="failover-force-help" /> Force: promote even if
        the old primary cannot be stopped
      </label>
      <p className="field-hint" id="failover-force-help">
        Only when you know the primary's host is down. If it is still running, two primaries may take writes.
      </p>
    </ConfirmDialog>
  );
}
