import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectMembersPage } from './ProjectMembers';
import { ADMIN_ID, P1, Route, renderApp, type As } from '../test/app';
import { gqlError } from '../test/mockClient';
import type { Role } from '../gql/graphql';

afterEach(() => localStorage.clear());

const member = (userId: string, email: string, role: Role, over: Record<string, unknown> = {}) => ({ userId, email, role, disabled: false, since: '2026-01-01T00:00:00Z', ...over });
const ME = member(ADMIN_ID, 'admin@example.com', 'ADMIN');
const ANA = member('u-ana', 'ana@example.com', 'VIEWER');
const users = [
  { id: ADMIN_ID, email: 'admin@example.com', disabled: false },
  { id: 'u-ana', email: 'ana@example.com', disabled: false },
  { id: 'u-bo', email: 'bo@example.com', disabled: false },
  { id: 'u-cy', email: 'cy@example.com', disabled: true },
];

function renderMembers(as: As, myRole: Role, answer: (name: string, v: Record<string, unknown>) => unknown = () => undefined) {
  let members = [ME, ANA];
  return renderApp(<Route path="/projects/:id/members" element={<ProjectMembersPage />} />, {
    at: `/projects/${P1.id}/members`,
    as,
    answer: (name, v) => {
      const a = answer(name, v);
      if (a !== undefined) return a;
      if (name === 'ProjectQuota') return { project: QUOTA };
      if (name === 'ProjectMembers') return { project: { ...P1, myRole, members }, ...(v.withUsers ? { users } : {}) };
      if (name === 'SetMemberRole') {
        const u = users.find((x) => x.id === v.userId)!;
        members = [...members.filter((m) => m.userId !== v.userId), member(u.id, u.email, v.role as Role)].sort((x, y) => x.email.localeCompare(y.email));
        return { setMemberRole: members };
      }
      return undefined;
    },
  });
}

const QUOTA = {
  id: P1.id,
  quota: { instances: 10, storageGb: 250, servers: 5, standbys: 10, isDefault: true },
  usage: { instances: 1, storageGb: 10, servers: 0, standbys: 0 },
};

const row = (email: string) => document.querySelector(`tr[data-member="${email}"]`) as HTMLElement;

describe('ProjectMembersPage', () => {
  it('shows the last-admin refusal of a role change clearly, and keeps the role', async () => {
    renderMembers({ roles: { [P1.id]: 'ADMIN' } }, 'ADMIN', (name) =>
      name === 'SetMemberRole' ? gqlError('CONFLICT', 'a project must keep at least one admin: make someone else admin first') : undefined,
    );
    const select = await screen.findByLabelText('Role of admin@example.com');
    await userEvent.selectOptions(select, 'VIEWER');
    const notice = await screen.findByTestId('member-notice');
    expect(notice).toHaveRole('alert');
    expect(notice).toHaveTextContent("admin@example.com is this project's last admin, and a project keeps at least one: make someone else admin first.");
    expect(select).toHaveValue('ADMIN');
  });

  it('changes a role and says so', async () => {
    const { sent } = renderMembers({ roles: { [P1.id]: 'ADMIN' } }, 'ADMIN');
    await userEvent.selectOptions(await screen.findByLabelText('Role of ana@example.com'), 'OPERATOR');
    expect(await screen.findByTestId('member-notice')).toHaveTextContent('ana@example.com is now operator.');
    expect(screen.getByLabelText('Role of ana@example.com')).toHaveValue('OPERATOR');
    expect(sent.find((s) => s.name === 'SetMemberRole')?.variables).toEqual({ projectId: P1.id, userId: 'u-ana', role: 'OPERATOR' });
  });

  it('lets a site admin add a member picked from the users who are not members yet', async () => {
    const { sent } = renderMembers({ isSiteAdmin: true }, 'ADMIN');
    const user = await screen.findByLabelText('User');
    await within(user).findByRole('option', { name: 'bo@example.com' });
    expect(within(user).queryByRole('option', { name: 'ana@example.com' })).not.toBeInTheDocument();
    expect(within(user).getByRole('option', { name: 'cy@example.com (disabled)' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect(await screen.findByText('Choose a user.')).toHaveAttribute('id', 'm-user-error');
    await userEvent.selectOptions(user, 'u-bo');
    await userEvent.selectOptions(screen.getByLabelText('Role'), 'OPERATOR');
    await userEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect(await screen.findByTestId('member-notice')).toHaveTextContent('Added bo@example.com as operator.');
    expect(within(row('bo@example.com')).getByLabelText('Role of bo@example.com')).toHaveValue('OPERATOR');
    expect(sent.find((s) => s.name === 'SetMemberRole')?.variables).toEqual({ projectId: P1.id, userId: 'u-bo', role: 'OPERATOR' });
    // Every user is asked for by a site admin only.
    expect(sent.find((s) => s.name === 'ProjectMembers')?.variables.withUsers).toBe(true);
  });

  it('has a project admin who is not a site admin add by user id, and puts an unknown user under that field', async () => {
    const { sent } = renderMembers({ roles: { [P1.id]: 'ADMIN' } }, 'ADMIN', (name) => (name === 'SetMemberRole' ? gqlError('NOT_FOUND', 'user not found') : undefined));
    await userEvent.type(await screen.findByLabelText('User id'), 'u-nobody');
    await userEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect(await screen.findByText('user not found')).toHaveAttribute('id', 'm-user-error');
    expect(sent.filter((s) => s.name === 'ProjectMembers').every((s) => s.variables.withUsers === false)).toBe(true);
  });

  it('removes a member after a confirmation, and shows a refusal in the dialog', async () => {
    let refuse = true;
    const { sent } = renderMembers({ roles: { [P1.id]: 'ADMIN' } }, 'ADMIN', (name) => {
      if (name !== 'RemoveMember') return undefined;
      return refuse ? gqlError('CONFLICT', 'a project must keep at least one admin: make someone else admin first') : { removeMember: [ME] };
    });
    await userEvent.click(within(await screen.findByRole('row', { name: /admin@example.com/ })).getByRole('button', { name: 'Remove…' }));
    const dialog = screen.getByRole('dialog', { name: `Remove admin@example.com from ${P1.name}?` });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent("last admin");
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    refuse = false;
    await userEvent.click(within(row('ana@example.com')).getByRole('button', { name: 'Remove…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove member' }));
    await waitFor(() => expect(row('ana@example.com')).toBeNull());
    expect(sent.filter((s) => s.name === 'RemoveMember').map((s) => s.variables.userId)).toEqual([ADMIN_ID, 'u-ana']);
  });

  it('shows viewers and operators the list read-only', async () => {
    renderMembers({ roles: { [P1.id]: 'VIEWER' } }, 'VIEWER');
    await screen.findByRole('table', { name: 'Members' });
    expect(screen.getByTestId('members-read-only')).toHaveTextContent('You are viewer here: the list is read-only.');
    expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Remove|Add member/ })).not.toBeInTheDocument();
    expect(within(row('ana@example.com')).getByText('Viewer')).toBeInTheDocument();
    // Their project tabs do not offer API tokens either.
    expect(screen.queryByRole('link', { name: 'API tokens' })).not.toBeInTheDocument();
  });
});
