import { useEffect, useMemo, type ReactNode } from 'react';
import { Client, Provider, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { useAuth } from './auth';

const connectedListeners = new Set<() => void>();

/**
 * Call `listener` whenever the subscription socket (re)connects: events may have been missed
 * while it was down, so pages refetch.
 */
export function onSocketConnected(listener: () => void): () => void {
  connectedListeners.add(listener);
  return () => connectedListeners.delete(listener);
}

/** The API is same-origin: /graphql over HTTP, and over WebSocket for subscriptions. */
export function graphqlHttpUrl(): string {
  return '/graphql';
}

export function graphqlWsUrl(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
}

function toError(err: unknown): unknown {
  if (Array.isArray(err) || err instanceof Error) return err;
  if (err && typeof err === 'object' && 'code' in err) {
    const e = err as CloseEvent;
    return new Error(`the subscription socket closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
  }
  return new Error(String(err));
}

export function makeClient(token: string | null, onUnauthenticated: (reason: string) => void): { client: Client; ws: WsClient | null } {
  const ws = token
    ? createWsClient({
        url: graphqlWsUrl(),
        lazy: true,
        // Keep the socket across page changes, so no events are missed while re-subscribing.
        lazyCloseTimeout: 60_000,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: Infinity,
        // 4403: the token was refused or expired; retrying cannot help.
        shouldRetry: (e) => !(e && typeof e === 'object' && 'code' in e && (e as CloseEvent).code === 4403),
        on: {
          connected: () => connectedListeners.forEach((l) => l()),
          closed: (e) => {
            if (e && typeof e === 'object' && 'code' in e && (e as CloseEvent).code === 4403) {
              onUnauthenticated('Your session ended (the server refused the token). Log in again.');
            }
          },
        },
      })
    : null;

  const client = new Client({
    url: graphqlHttpUrl(),
    preferGetMethod: false,
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    exchanges: [
      mapExchange({
        onError(error, operation) {
          const unauth = error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || error.response?.status === 401;
          const isLogin = operation.kind === 'mutation' && 'definitions' in operation.query && operation.query.definitions.some((d) => d.kind === 'OperationDefinition' && d.name?.value === 'Login');
          if (unauth && token && !isLogin) onUnauthenticated('Your session ended. Log in again.');
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              if (!ws) {
                sink.error(new Error('not logged in'));
                return { unsubscribe: () => {} };
              }
              const unsubscribe = ws.subscribe(input, {
                next: (v) => sink.next(v as never),
                complete: () => sink.complete(),
                // graphql-ws reports a closed socket as a CloseEvent; urql wants an Error (or
                // the server's GraphQL errors, which pass through).
                error: (err) => sink.error(toError(err) as never),
              });
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}

export function ApiProvider({ children }: { children: ReactNode }) {
  const { session, sessionEnded } = useAuth();
  const token = session?.token ?? null;
  const { client, ws } = useMemo(() => makeClient(token, sessionEnded), [token, sessionEnded]);
  useEffect(() => () => void ws?.dispose(), [ws]);
  return <Provider value={client}>{children}</Provider>;
}
