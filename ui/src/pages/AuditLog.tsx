import { Fragment, useCallback, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { AuditLogQuery } from '../lib/documents';
import { Badge, OutcomeBadge } from '../components/Badge';
import { ListFoot } from '../components/ListFoot';
import { Empty, ErrorState, Loading } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, relativeTime } from '../lib/format';
import { uniqueById, useLoadMore } from '../lib/liveList';
import { useAccess, useProjects } from '../lib/projects';

const PAGE = 20;

/** Where a mutation's target lives in the dashboard, when it has a page. */
export function targetLink(action: string, targetId: string | null): string | null {
  if (!targetId) return null;
  if (/instance/i.test(action) || action === 'runReadOnlyQuery') return `/instances/${targetId}`;
  if (/server/i.test(action)) return `/servers/${targetId}`;
  if (/project/i.test(action)) return `/projects/${targetId}/members`;
  return null;
}

/** A `User-Agent` in a few words: the browser or program. */
export function shortAgent(ua: string | null | undefined): string {
  if (!ua) return '';
  const known = ua.match(/(HeadlessChrome|Chromium|Chrome|Firefox|Safari|Edg|curl|node|undici|python-requests|Go-http-client)\/[\d.]+/);
  if (known) return known[0].replace(/\.[\d.]+$/, (v) => v.split('.').slice(0, 2).join('.'));
  return ua.length > 24 ? `${ua.slice(0, 24)}…` : ua;
}

function Arguments({ value }: { value: unknown }) {
  const text = JSON.stringify(value, null, 2);
  return <pre className="code-block">{text === '{}' ? '(no arguments)' : text}</pre>;
}

export function AuditLogPage() {
  const { projects } = useProjects();
  const a = useAccess();
  const [params, setParams] = useSearchParams();
  const projectId = params.get('project') || null;
  const variables = useMemo(() => ({ first: PAGE, ...(projectId ? { projectId } : {}) }), [projectId]);
  const [result, reexecute] = useQuery({ query: AuditLogQuery, variables, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);

  // Pages after the first, fetched by "Load more"; dropped when the filter changes.
  const more = useLoadMore(AuditLogQuery, variables, (d) => d.auditLog, result.data?.auditLog.pageInfo);
  const [open, setOpen] = useState<string | null>(null);
  const rows = useMemo(() => uniqueById([...(result.data?.auditLog.nodes ?? []), ...more.rows]), [result.data, more.rows]);

  const projectName = (id: string | null) => {
    if (!id) return null;
    const name = projects?.find((p) => p.id === id)?.name;
    return name ?? <span title={`${id}: deleted since, or not yours to see`}>{id.slice(0, 8)}…</span>;
  };
  const administered = (projects ?? []).filter((p) => a.isAdminOf(p.id));
  const err = apiError(result.error);

  return (
    <section>
      <div className="page-head">
        <h1>Audit log</h1>
        <span className="muted small">Every mutation, newest first: who, what, on what, from where, and whether it worked.</span>
      </div>
      <div className="toolbar">
        <select
          className="input"
          aria-label="Filter by project"
          value={projectId ?? ''}
          onChange={(e) => {
            const next = new URLSearchParams(params);
            if (e.target.value) next.set('project', e.target.value);
            else next.delete('project');
            setParams(next, { replace: true });
          }}
        >
          <option value="">{a.isSiteAdmin ? 'Every project, and none' : 'Every project you administer'}</option>
          {administered.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button className="btn" onClick={refetch} disabled={result.fetching}>
          Refresh
        </button>
        {result.fetching && result.data && <span className="spinner" aria-label="Refreshing" />}
      </div>

      {err && !result.data ? (
        <ErrorState error={err} onRetry={refetch} title="Could not load the audit log" />
      ) : !result.data ? (
        <Loading what="Loading the audit log" />
      ) : rows.length === 0 ? (
        <Empty title="Nothing recorded yet">
          <p className="muted">{a.adminSomewhere ? 'Changes made through the API appear here.' : 'The audit log shows the projects you administer; you administer none.'}</p>
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table compact audit" aria-label="Audit log">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Project</th>
                  <th>Outcome</th>
                  <th>Origin</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const link = targetLink(r.action, r.targetId);
                  return (
                    <Fragment key={r.id}>
                      <tr data-action={r.action} data-outcome={r.outcome}>
                        <td className="small nowrap" title={dateTime(r.at)}>
                          {relativeTime(r.at)}
                        </td>
                        <td className="small actor">
                          {r.actor} {r.tokenId && <Badge tone="info">API token</Badge>}
                        </td>
                        <td className="small">
                          <span className="mono" data-testid="audit-action">
                            {r.action}
                          </span>
                          <div>
                            <button className="link-button" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                              {open === r.id ? 'Hide details' : 'Details'}
                            </button>
                          </div>
                        </td>
                        <td className="mono small nowrap" title={r.targetId ?? undefined}>
                          {r.targetId ? link ? <Link to={link}>{r.targetId.slice(0, 6)}…</Link> : `${r.targetId.slice(0, 6)}…` : <span className="muted">—</span>}
                        </td>
                        <td className="small">{projectName(r.projectId) ?? <span className="muted">—</span>}</td>
                        <td>
                          <OutcomeBadge outcome={r.outcome} code={r.errorCode} />
                          {r.errorMessage && <div className="small muted clamp">{r.errorMessage}</div>}
                        </td>
                        <td className="small origin" title={r.userAgent ?? undefined}>
                          <span className="mono">{r.sourceIp ?? '—'}</span>
                          {r.userAgent && <div className="muted">{shortAgent(r.userAgent)}</div>}
                        </td>
                      </tr>
                      {open === r.id && (
                        <tr className="details-row">
                          <td colSpan={7}>
                            <dl className="props">
                              <dt>When</dt>
                              <dd>{dateTime(r.at)}</dd>
                              <dt>Arguments</dt>
                              <dd>
                                <Arguments value={r.arguments} />
                              </dd>
                              {r.targetId && (
                                <>
                                  <dt>Target</dt>
                                  <dd className="mono small">{r.targetId}</dd>
                                </>
                              )}
                              {r.errorMessage && (
                                <>
                                  <dt>Error</dt>
                                  <dd>
                                    <code>{r.errorCode}</code> {r.errorMessage}
                                  </dd>
                                </>
                              )}
                              {r.userAgent && (
                                <>
                                  <dt>User agent</dt>
                                  <dd className="small">{r.userAgent}</dd>
                                </>
                              )}
                            </dl>
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
          <ListFoot shown={rows.length} more={more} countTestId="audit-count" />
        </>
      )}
    </section>
  );
}
