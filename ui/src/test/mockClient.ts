import { getOperationAST, type DocumentNode } from 'graphql';
import { Client, makeResult, type Exchange, type Operation, type OperationResult } from 'urql';
import { filter, fromValue, makeSubject, mergeMap, pipe, type Subject } from 'wonka';

/** An operation's name: `InstanceDetail`, `CreateInstance`, `ClusterEventAdded`. */
export function operationName(op: Operation): string {
  return getOperationAST(op.query as DocumentNode)?.name?.value ?? '';
}

/** An answer that is a GraphQL error with `extensions.code`, as the server sends it. */
export class GqlError {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

export const gqlError = (code: string, message: string) => new GqlError(code, message);

/**
 * A real urql client whose only exchange answers queries and mutations with `answer(name,
 * variables)` (the `data` of the result, or a `gqlError(code, message)`), and keeps
 * subscriptions open for `push`: a page under test runs its own documents, hooks and live
 * updates, with no server.
 */
export function mockClient(answer: (name: string, variables: Record<string, unknown>) => unknown) {
  const sent: { name: string; variables: Record<string, unknown> }[] = [];
  const subscriptions: { op: Operation; name: string; variables: Record<string, unknown>; subject: Subject<OperationResult> }[] = [];
  const exchange: Exchange = () => (ops$) =>
    pipe(
      ops$,
      filter((op) => op.kind !== 'teardown'),
      mergeMap((op) => {
        const name = operationName(op);
        const variables = (op.variables ?? {}) as Record<string, unknown>;
        sent.push({ name, variables });
        if (op.kind === 'subscription') {
          const subject = makeSubject<OperationResult>();
          subscriptions.push({ op, name, variables, subject });
          return subject.source;
        }
        const data = answer(name, variables);
        if (data instanceof GqlError)
          return fromValue(makeResult(op, { data: null, errors: [{ message: data.message, extensions: { code: data.code } }] }));
        return fromValue(makeResult(op, { data: data as Record<string, unknown> }));
      }),
    );
  const client = new Client({ url: 'http://test/graphql', exchanges: [exchange] });
  /** Deliver `data` to every open subscription named `name` whose variables include `match`. */
  const push = (name: string, data: unknown, match: Record<string, unknown> = {}) => {
    for (const s of subscriptions)
      if (s.name === name && Object.entries(match).every(([k, v]) => s.variables[k] === v))
        s.subject.next(makeResult(s.op, { data: data as Record<string, unknown> }));
  };
  return { client, sent, push, subscriptions };
}
