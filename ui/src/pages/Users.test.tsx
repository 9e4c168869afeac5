import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { UsersPage } from './Users';
import { AccountPage, validateChangePassword } from './Account';
import { ADMIN_ID, P1, Route, renderApp } from '../test/app';
import { gqlError } from '../test/mockClient';

afterEach(() => localStorage.clear());

const user = (id: string, email: string, over: Record<string, unknown> = {}) => ({ id, email, isSiteAdmin: false, disabled: false, roles: [], ...over });

function renderUsers(answer: (name: string, v: Record<string, unknown>) => unknown = () => undefined) {
  let users = [user(ADMIN_ID, 'admin@example.com', { isSiteAdmin: true }), user('u-ana', 'ana@example.com')];
  return renderApp(<Route path="/users" element={<UsersPage />} />, {
    at: '/users',
    as: { isSiteAdmin: true },
    answer: (name, v) => {
      const a = answer(name, v);
      if (a !== undefined) return a;
      if (name === 'Users') return { users };
      if (name === 'CreateUser') {
        const u = user('u-new', v.email as string, { isSiteAdmin: v.siteAdmin });
        users = [...users, u];
        return { createUser: u };
      }
      if (name === 'DisableUser') {
        users = users.map((u) => (u.id === v.id ? { ...u, disabled: true } : u));
        return { disableUser: users.find((u) => u.id === v.id) };
      }
      if (name === 'EnableUser') {
        users = users.map((u) => (u.id === v.id ? { ...u, disabled: false } : u));
        return { enableUser: users.find((u) => u.id === v.id) };
      }
      if (name === 'ResetPassword') return { resetPassword: true };
      if (name === 'DeleteUser') {
        users = users.filter((u) => u.id !== v.id);
        return { deleteUser: v.id };
      }
      return undefined;
    },
  });
}

const row = (email: string) => document.querySelector(`tr[data-user="${email}"]`) as HTMLElement;

describe('UsersPage', () => {
  it('creates a user, checking the password length first and the email on the server', async () => {
    let taken = true;
    const { sent } = renderUsers((name) => (name === 'CreateUser' && taken ? gqlError('CONFLICT', 'a user with email ana@example.com already exists') : undefined));
    await screen.findByRole('table', { name: 'Users' });
    await userEvent.type(screen.getByLabelText('Email'), 'ana@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByText('Use at least 12 characters.')).toHaveAttribute('id', 'u-password-error');
    expect(sent.some((s) => s.name === 'CreateUser')).toBe(false);

    await userEvent.type(screen.getByLabelText('Password'), '-but-longer-now');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByText(/already exists/)).toHaveAttribute('id', 'u-email-error');

    taken = false;
    await userEvent.clear(screen.getByLabelText('Email'));
    await userEvent.type(screen.getByLabelText('Email'), 'bo@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByTestId('users-notice')).toHaveTextContent('Created bo@example.com.');
    await waitFor(() => expect(row('bo@example.com')).not.toBeNull());
    expect(sent.filter((s) => s.name === 'CreateUser').at(-1)?.variables).toEqual({ email: 'bo@example.com', password: 'short-but-longer-now', siteAdmin: false });
  });

  it('disables after a confirmation and enables again; never offers it for oneself', async () => {
    renderUsers();
    await screen.findByRole('table', { name: 'Users' });
    expect(within(row('admin@example.com')).queryByRole('button', { name: /Disable|Delete/ })).not.toBeInTheDocument();
    await userEvent.click(within(row('ana@example.com')).getByRole('button', { name: 'Disable…' }));
    const dialog = screen.getByRole('dialog', { name: 'Disable ana@example.com?' });
    expect(dialog).toHaveTextContent('stop working at once');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Disable user' }));
    await waitFor(() => expect(within(row('ana@example.com')).getByTestId('user-status')).toHaveTextContent('disabled'));
    await userEvent.click(within(row('ana@example.com')).getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(within(row('ana@example.com')).getByTestId('user-status')).toHaveTextContent('active'));
  });

  it('resets a password and deletes with the typed email', async () => {
    const { sent } = renderUsers();
    await screen.findByRole('table', { name: 'Users' });
    await userEvent.click(within(row('ana@example.com')).getByRole('button', { name: 'Reset password…' }));
    await userEvent.type(screen.getByLabelText('New password'), 'a-brand-new-password');
    await userEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect(await screen.findByTestId('users-notice')).toHaveTextContent('Set a new password for ana@example.com.');
    expect(sent.find((s) => s.name === 'ResetPassword')?.variables).toEqual({ userId: 'u-ana', password: 'a-brand-new-password' });

    await userEvent.click(within(row('ana@example.com')).getByRole('button', { name: 'Delete…' }));
    await userEvent.type(screen.getByLabelText(/to confirm/), 'ana@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Delete user' }));
    await waitFor(() => expect(row('ana@example.com')).toBeNull());
  });

  it('is for site admins only', async () => {
    const { sent } = renderApp(<Route path="/users" element={<UsersPage />} />, { at: '/users', as: { roles: { [P1.id]: 'ADMIN' } }, answer: () => undefined });
    await screen.findByText('Only site admins manage users');
    expect(sent.some((s) => s.name === 'Users')).toBe(false);
  });
});

describe('AccountPage', () => {
  it('shows who you are, and puts a wrong current password under its field', async () => {
    let wrong = true;
    const { sent } = renderApp(<Route path="/account" element={<AccountPage />} />, {
      at: '/account',
      as: { roles: { [P1.id]: 'OPERATOR' } },
      answer: (name) => (name === 'ChangePassword' ? (wrong ? gqlError('INVALID_INPUT', 'the current password is wrong') : { changePassword: true }) : undefined),
    });
    expect(await screen.findByTestId('account-id')).toHaveTextContent(ADMIN_ID);
    expect(screen.getByRole('link', { name: 'payments' })).toHaveAttribute('href', `/projects/${P1.id}/members`);
    await userEvent.type(screen.getByLabelText('Current password'), 'not-it-at-all');
    await userEvent.type(screen.getByLabelText('New password'), 'a-new-password-1');
    await userEvent.type(screen.getByLabelText('New password again'), 'a-new-password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText('the current password is wrong')).toHaveAttribute('id', 'pw-current-error');

    wrong = false;
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    // Every session ends with the old password, this one included.
    await waitFor(() => expect(localStorage.getItem('toygres.session')).toBeNull());
    expect(sent.filter((s) => s.name === 'ChangePassword').at(-1)?.variables).toEqual({ currentPassword: 'not-it-at-all', newPassword: 'a-new-password-1' });
  });

  it('checks the new password twice before sending', () => {
    expect(validateChangePassword({ current: '', next: 'short', confirm: '' })).toEqual({ current: 'Enter your current password.', next: 'Use at least 12 characters.' });
    expect(validateChangePassword({ current: 'old-password-1', next: 'new-password-1', confirm: 'new-password-2' })).toEqual({ confirm: 'The two new passwords differ.' });
    expect(validateChangePassword({ current: 'same-password-1', next: 'same-password-1', confirm: 'same-password-1' }).next).toMatch(/different/);
  });
});
