import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { SigningKeysPage } from './SigningKeys';
import { Route, renderApp } from '../test/app';
import { gqlError } from '../test/mockClient';

afterEach(() => localStorage.clear());

const key = (kid: string, state: string, over: Record<string, unknown> = {}) => ({ kid, algorithm: 'HS256', state, createdAt: '2026-01-01T00:00:00Z', retireAfter: null, configured: false, ...over });

describe('SigningKeysPage', () => {
  it('rotates after a confirmation; the list shows the new active key and the old one retiring', async () => {
    let keys = [key('gen-old', 'active')];
    const { sent } = renderApp(<Route path="/signing-keys" element={<SigningKeysPage />} />, {
      at: '/signing-keys',
      as: { isSiteAdmin: true },
      answer: (name) => {
        if (name === 'SigningKeys') return { signingKeys: keys };
        if (name === 'RotateSigningKey') {
          keys = [key('gen-new', 'active', { createdAt: '2026-01-02T00:00:00Z' }), key('gen-old', 'retiring', { retireAfter: '2099-01-01T00:00:00Z' })];
          return { rotateSigningKey: keys[0] };
        }
        return undefined;
      },
    });
    const table = await screen.findByRole('table', { name: 'Signing keys' });
    await userEvent.click(screen.getByRole('button', { name: 'Rotate signing key…' }));
    expect(sent.some((s) => s.name === 'RotateSigningKey')).toBe(false);
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Rotate the signing key?' })).getByRole('button', { name: 'Rotate key' }));
    expect(await screen.findByTestId('keys-notice')).toHaveTextContent('New tokens are signed with gen-new.');
    await waitFor(() => expect(table.querySelector('tr[data-kid="gen-new"]')).toHaveAttribute('data-state', 'active'));
    expect(table.querySelector('tr[data-kid="gen-old"]')).toHaveAttribute('data-state', 'retiring');
  });

  it('cannot rotate a configured key, and says where to change it', async () => {
    renderApp(<Route path="/signing-keys" element={<SigningKeysPage />} />, {
      at: '/signing-keys',
      as: { isSiteAdmin: true },
      answer: (name) => (name === 'SigningKeys' ? { signingKeys: [key('configured', 'active', { configured: true, createdAt: null })] } : undefined),
    });
    expect(await screen.findByRole('button', { name: 'Rotate signing key…' })).toBeDisabled();
    expect(screen.getAllByText('TOYGRES_JWT_SECRET').length).toBeGreaterThan(0);
  });

  it('shows a refused rotation in the dialog', async () => {
    renderApp(<Route path="/signing-keys" element={<SigningKeysPage />} />, {
      at: '/signing-keys',
      as: { isSiteAdmin: true },
      answer: (name) =>
        name === 'SigningKeys' ? { signingKeys: [key('k', 'active')] } : name === 'RotateSigningKey' ? gqlError('CONFLICT', 'the signing key is configured') : undefined,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Rotate signing key…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Rotate key' }));
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('Cannot rotate: the signing key is configured');
  });
});
