import { Link } from 'react-router-dom';
import type { ServerState } from '../../gql/graphql';
import { ServerStateBadge } from '../../components/Badge';
import type { ServerData } from './types';

/** States a server can be drained in. */
const DRAINABLE: ServerState[] = ['ACTIVE', 'DRAINING'];
/** States a server can be removed in. */
const REMOVABLE: ServerState[] = ['ACTIVE', 'DRAINING', 'FAILED'];

/**
 * The server's name and state, and for its operators Drain… (which previews first) and
 * Remove…. Neither is offered while `busy`, and neither while a drain or removal is `changing`
 * the server; Drain… not while its preview is shown.
 */
export function ServerHeader({
  server,
  operate,
  busy,
  changing,
  previewing,
  onDrain,
  onRemove,
}: {
  server: ServerData;
  operate: boolean;
  busy: boolean;
  changing: boolean;
  previewing: boolean;
  onDrain: () => void;
  onRemove: () => void;
}) {
  const drainable = DRAINABLE.includes(server.state);
  const removable = REMOVABLE.includes(server.state);
  return (
    <>
      <p className="crumbs">
        <Link to="/servers">Servers</Link> / {server.name}
      </p>
      <div className="page-head">
        <h1>
          {server.name} <span data-testid="server-state"><ServerStateBadge state={server.state} /></span>
        </h1>
        {operate && (
          <div className="actions">
            <button
              className="btn"
              disabled={busy || previewing || changing || !drainable}
              title={
                changing
                  ? 'A drain or removal is under way'
                  : drainable
                    ? 'See where each instance would move, then start: the instances move elsewhere and nothing new is placed on it'
                    : 'Only an active or draining server can be drained'
              }
              onClick={onDrain}
            >
              Drain…
            </button>
            <button
              className="btn btn-danger"
              disabled={busy || changing || !removable}
              title={removable ? 'Drain it, delete its VM, and mark it removed' : `A ${server.state.toLowerCase()} server cannot be removed now`}
              onClick={onRemove}
            >
              Remove…
            </button>
          </div>
        )}
      </div>
    </>
  );
}
