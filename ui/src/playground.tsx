// The GraphQL playground: GraphiQL with every asset bundled here, so it works offline. It
// uses the dashboard's session when there is one; otherwise paste a token (from `login`) in
// the field at the top. Queries and mutations go over HTTP, subscriptions over
// graphql-transport-ws with the token in `connection_init`.
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';

const SESSION_KEY = 'toygres.session';

function storedToken(): string {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return '';
    const session = JSON.parse(raw) as { token?: string; expiresAt?: string };
    if (!session.token || !session.expiresAt || Date.parse(session.expiresAt) <= Date.now()) return '';
    return session.token;
  } catch {
    return '';
  }
}

function Playground() {
  const [token, setToken] = useState(storedToken);
  const fetcher = useMemo(() => {
    const ws = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    const authorization = token ? `Bearer ${token}` : undefined;
    return createGraphiQLFetcher({
      url: '/graphql',
      subscriptionUrl: ws,
      headers: authorization ? { Authorization: authorization } : {},
      wsConnectionParams: authorization ? { authorization } : {},
    });
  }, [token]);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: '100vh' }}>
      <div style={{ display: 'flex', gap: 8, alignItems: 'center', padding: '6px 12px', fontFamily: 'sans-serif', fontSize: 14 }}>
        <a href="/">← Dashboard</a>
        <label htmlFor="token" style={{ marginLeft: 'auto' }}>
          Token
        </label>
        <input
          id="token"
          aria-label="token"
          value={token}
          onChange={(e) => setToken(e.target.value.trim().replace(/^Bearer\s+/i, ''))}
          placeholder="paste a token from the login mutation, or log in on the dashboard"
          style={{ width: 420, fontFamily: 'monospace' }}
        />
      </div>
      <div style={{ flex: 1, minHeight: 0 }}>
        <GraphiQL
          key={token}
          fetcher={fetcher}
          defaultQuery={'# Toygres GraphQL playground\n{\n  me {\n    email\n    roles { projectName role }\n  }\n}\n'}
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('playground')!).render(
  <StrictMode>
    <Playground />
  </StrictMode>,
);
