import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { NoServers } from './Servers';

const wrap = (ui: React.ReactNode) => render(<MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{ui}</MemoryRouter>);

describe('the empty server list', () => {
  it('says which variables to set when no cloud is configured', () => {
    wrap(<NoServers configured={[]} operate />);
    expect(screen.getByText('No cloud is configured')).toBeInTheDocument();
    expect(screen.getByText('TOYGRES_HETZNER_TOKEN')).toBeInTheDocument();
    expect(screen.getByText('TOYGRES_DIGITALOCEAN_TOKEN')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /provision/i })).not.toBeInTheDocument();
  });

  it('names the configured clouds, and how to add the other', () => {
    wrap(<NoServers configured={['HETZNER']} operate />);
    expect(screen.getByTestId('configured-clouds')).toHaveTextContent('Servers can be provisioned on Hetzner. To add DigitalOcean, set TOYGRES_DIGITALOCEAN_TOKEN.');
    expect(screen.getByRole('link', { name: 'Provision your first server' })).toHaveAttribute('href', '/servers/new');
  });

  it('offers nothing to a viewer', () => {
    wrap(<NoServers configured={['HETZNER', 'DIGITALOCEAN']} operate={false} />);
    expect(screen.getByTestId('configured-clouds')).toHaveTextContent('Servers can be provisioned on Hetzner and DigitalOcean.');
    expect(screen.queryByRole('link')).not.toBeInTheDocument();
    expect(screen.getByText(/read-only/)).toBeInTheDocument();
  });
});
