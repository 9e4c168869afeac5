import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Link } from 'react-router-dom';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiTokensPage, expiresAt, tokenStatus, validateToken } from './ApiTokens';
import { P1, Route, renderApp } from '../test/app';
import { gqlError } from '../test/mockClient';

afterEach(() => localStorage.clear());

const SECRET = 'tgt_3zmS8SyrJontYfJMYtCDtOuw5R2LxnF2YMOnPONHIC4';
const token = (over: Record<string, unknown> = {}) => ({
  id: 't1',
  projectId: P1.id,
  name: 'ci-deploy',
  role: 'OPERATOR',
  createdAt: '2026-01-01T00:00:00Z',
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
  active: true,
  ...over,
});

function renderTokens(tokens: ReturnType<typeof token>[], answer: (name: string, v: Record<string, unknown>) => unknown = () => undefined) {
  let list = tokens;
  const mock = renderApp(
    <>
      <Route path="/projects/:id/tokens" element={<ApiTokensPage />} />
      <Route
        path="/projects/:id/members"
        element={
          <p>
            the members <Link to={`/projects/${P1.id}/tokens`}>back to tokens</Link>
          </p>
        }
      />
    </>,
    {
      at: `/projects/${P1.id}/tokens`,
      as: { roles: { [P1.id]: 'ADMIN' } },
      answer: (name, v) => {
        const a = answer(name, v);
        if (a !== undefined) return a;
        if (name === 'ProjectTokens') return { project: { ...P1, myRole: 'ADMIN', apiTokens: v.withTokens ? list : null } };
        if (name === 'CreateApiToken') {
          const t = token({ id: 't2', name: v.name, role: v.role, expiresAt: v.expiresAt });
          list = [t, ...list];
          return { createApiToken: { token: t, secret: SECRET } };
        }
        return undefined;
      },
    },
  );
  return mock;
}

describe('ApiTokensPage', () => {
  it('shows a new token’s secret once, with a copy button and a warning, and not after leaving the page', async () => {
    const { sent } = renderTokens([token()]);
    await screen.findByRole('table', { name: 'API tokens' });
    await userEvent.type(screen.getByLabelText('Name'), 'grafana');
    await userEvent.selectOptions(screen.getByLabelText('Role'), 'VIEWER');
    await userEvent.selectOptions(screen.getByLabelText('Expires'), 'never');
    await userEvent.click(screen.getByRole('button', { name: 'Create token' }));

    const panel = await screen.findByTestId('token-secret');
    expect(within(panel).getByTestId('token-secret-value')).toHaveTextContent(SECRET);
    expect(within(panel).getByRole('alert')).toHaveTextContent('It will not be shown again.');
    expect(within(panel).getByRole('button', { name: 'Copy secret' })).toBeInTheDocument();
    expect(sent.find((s) => s.name === 'CreateApiToken')?.variables).toEqual({ projectId: P1.id, name: 'grafana', role: 'VIEWER', expiresAt: null });
    // The list shows the new token, never its secret.
    const table = screen.getByRole('table', { name: 'API tokens' });
    await within(table).findByText('grafana');
    expect(table).not.toHaveTextContent(SECRET);

    // Away and back: the secret is gone for good.
    await userEvent.click(screen.getByRole('link', { name: 'Members & roles' }));
    await screen.findByText('the members');
    await userEvent.click(screen.getByRole('link', { name: 'back to tokens' }));
    await screen.findByRole('table', { name: 'API tokens' });
    expect(screen.queryByTestId('token-secret')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('hides the secret once the user says it is copied', async () => {
    renderTokens([]);
    await userEvent.type(await screen.findByLabelText('Name'), 'ci');
    await userEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await userEvent.click(await screen.findByRole('button', { name: 'I have copied it' }));
    expect(screen.queryByTestId('token-secret')).not.toBeInTheDocument();
  });

  it('puts a taken name under the name field', async () => {
    renderTokens([token()], (name) => (name === 'CreateApiToken' ? gqlError('CONFLICT', 'a token named "ci-deploy" already exists in this project') : undefined));
    await userEvent.type(await screen.findByLabelText('Name'), 'ci-deploy');
    await userEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText(/already exists/)).toHaveAttribute('id', 't-name-error');
    expect(screen.queryByTestId('token-secret')).not.toBeInTheDocument();
  });

  it('revokes after a confirmation, and offers nothing for revoked or expired tokens', async () => {
    const { sent } = renderTokens(
      [token(), token({ id: 't3', name: 'old', active: false, revokedAt: '2026-01-02T00:00:00Z' }), token({ id: 't4', name: 'stale', active: false, expiresAt: '2026-01-03T00:00:00Z' })],
      (name) => (name === 'RevokeApiToken' ? { revokeApiToken: token({ active: false, revokedAt: '2026-01-05T00:00:00Z' }) } : undefined),
    );
    const table = await screen.findByRole('table', { name: 'API tokens' });
    const row = (n: string) => table.querySelector(`tr[data-token="${n}"]`) as HTMLElement;
    expect(within(row('old')).getByTestId('token-status')).toHaveTextContent('revoked');
    expect(within(row('stale')).getByTestId('token-status')).toHaveTextContent('expired');
    expect(within(row('old')).queryByRole('button')).not.toBeInTheDocument();
    expect(within(row('stale')).queryByRole('button')).not.toBeInTheDocument();

    await userEvent.click(within(row('ci-deploy')).getByRole('button', { name: 'Revoke…' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke ci-deploy?' });
    expect(sent.some((s) => s.name === 'RevokeApiToken')).toBe(false);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent.find((s) => s.name === 'RevokeApiToken')?.variables).toEqual({ id: 't1' });
    expect(screen.getByText(/Revoked ci-deploy/)).toBeInTheDocument();
  });

  it('tells non-admins that only admins manage tokens, without asking for them', async () => {
    const { sent } = renderApp(<Route path="/projects/:id/tokens" element={<ApiTokensPage />} />, {
      at: `/projects/${P1.id}/tokens`,
      as: { roles: { [P1.id]: 'OPERATOR' } },
      answer: (name, v) => (name === 'ProjectTokens' ? { project: { ...P1, myRole: 'OPERATOR', ...(v.withTokens ? { apiTokens: [] } : {}) } } : undefined),
    });
    await screen.findByText('Only project admins manage API tokens');
    expect(sent.filter((s) => s.name === 'ProjectTokens').every((s) => s.variables.withTokens === false)).toBe(true);
  });
});

describe('token expiry', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('is null for never, days from now, or the end of a chosen day', () => {
    expect(expiresAt({ expiry: 'never', date: '' }, now)).toBeNull();
    expect(expiresAt({ expiry: '30', date: '' }, now)).toBe('2026-03-31T12:00:00.000Z');
    expect(expiresAt({ expiry: 'date', date: '' }, now)).toBeUndefined();
    expect(Date.parse(expiresAt({ expiry: 'date', date: '2026-04-01' }, now)!)).toBe(new Date('2026-04-01T23:59:59').getTime());
  });
  it('must be a day in the future', () => {
    expect(validateToken({ name: 'x', role: 'VIEWER', expiry: 'date', date: '2020-01-01' }, now).expiresAt).toMatch(/future/);
    expect(validateToken({ name: ' ', role: 'VIEWER', expiry: 'never', date: '' }, now).name).toMatch(/required/);
    expect(validateToken({ name: 'ci', role: 'VIEWER', expiry: '7', date: '' }, now)).toEqual({});
  });
  it('says revoked, expired or active', () => {
    expect(tokenStatus({ active: true, revokedAt: null, expiresAt: null })).toBe('active');
    expect(tokenStatus({ active: false, revokedAt: '2026-01-01T00:00:00Z', expiresAt: null })).toBe('revoked');
    expect(tokenStatus({ active: false, revokedAt: null, expiresAt: '2026-01-01T00:00:00Z' })).toBe('expired');
  });
});
