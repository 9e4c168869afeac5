import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionCard } from './Connection';
import { Route, renderApp } from '../../test/app';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A blob's text (jsdom's Blob has no `text()`). */
function read(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

function instance(connectionString: string | null) {
  return { connectionString, host: '10.0.0.7', port: 5433, username: 'app', database: 'app' };
}

afterEach(() => {
  localStorage.clear();
  vi.restoreAllMocks();
});

describe('ConnectionCard', () => {
  it('downloads the CA as the file the connection string names', async () => {
    const blobs: Blob[] = [];
    const names: string[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return 'blob:ca';
    });
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    renderApp(<Route path="/" element={<ConnectionCard instance={instance('postgresql://app@10.0.0.7:5433/app?sslmode=verify-full&sslrootcert=toygres-ca.crt')} />} />, {
      at: '/',
      answer: (name) => (name === 'CertificateAuthority' ? { certificateAuthority: { pem: PEM } } : undefined),
    });
    expect(screen.getByText('toygres-ca.crt', { selector: 'code' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Download CA' }));
    await waitFor(() => expect(names).toEqual(['toygres-ca.crt']));
    expect(await read(blobs[0])).toBe(PEM);
  });

  it('offers no CA for a connection string without TLS verification', () => {
    renderApp(<Route path="/" element={<ConnectionCard instance={instance('postgresql://app@db.example:5432/app')} />} />, {
      at: '/',
      answer: () => undefined,
    });
    expect(screen.queryByRole('button', { name: 'Download CA' })).not.toBeInTheDocument();
  });
});
