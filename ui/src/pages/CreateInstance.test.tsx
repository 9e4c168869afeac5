import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Provider as Urql } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { CreateInstanceForm, CreateInstancePage, toInput, validateCreate } from './CreateInstance';
import { createErrorField } from '../lib/errors';
import { mockClient } from '../test/mockClient';

const blank = { name: '', version: '', storageGb: '10', username: '', database: '', password: '' };
const plans = [
  { name: 'small', cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryMib: 512 },
  { name: 'medium', cpuRequestMillis: 500, cpuLimitMillis: 2000, memoryMib: 1024 },
  { name: 'large', cpuRequestMillis: 1000, cpuLimitMillis: 4000, memoryMib: 4096 },
];

describe('createErrorField maps server errors to fields', () => {
  it.each([
    ['INVALID_INPUT', 'name "Bad" must be a DNS-1123 label: 1 to 63 lower-case letters', 'name'],
    ['INVALID_INPUT', 'PostgreSQL 9 is not available; available versions: [15]', 'version'],
    ['INVALID_INPUT', 'storageGb must be between 1 and 16384 (got 0)', 'storageGb'],
    ['INVALID_INPUT', 'username "pg_x" must be 1 to 63 lower-case letters', 'username'],
    ['INVALID_INPUT', 'database "postgres" must be 1 to 63 lower-case letters', 'database'],
    ['INVALID_INPUT', 'password is too weak: use at least 12 characters', 'password'],
    ['INVALID_INPUT', 'password must be at least 12 characters', 'password'],
    ['CONFLICT', 'an instance named orders already exists in this project', 'name'],
    ['INVALID_INPUT', 'only the LOCAL provider is available on this installation', null],
    ['INVALID_INPUT', 'the KUBERNETES provider is not configured on this installation (set TOYGRES_KUBERNETES=on and give it a kubeconfig)', 'provider'],
    ['INVALID_INPUT', 'unknown plan "huge"; plans: small, medium, large', 'plan'],
    ['INVALID_INPUT', 'serviceType applies to KUBERNETES instances only', 'serviceType'],
    ['INVALID_INPUT', 'PostgreSQL 12 is not available; available versions: [13, 14, 15, 16, 17, 18]', 'version'],
    ['FORBIDDEN', 'your role may not create instances', null],
    ['INVALID_INPUT', 'standbys must be between 0 and 2 (got 3)', 'standbys'],
    ['INVALID_INPUT', 'synchronous needs at least one standby to wait for', 'standbys'],
    ['UNSUPPORTED', 'Kubernetes instances have no standbys yet', null],
  ] as const)('%s %s -> %s', (code, message, field) => {
    expect(createErrorField({ code, message })).toBe(field);
  });
});

describe('validateCreate', () => {
  it('accepts defaults with a good name', () => {
    expect(validateCreate({ ...blank, name: 'orders-db' })).toEqual({});
  });
  it('checks every field like the server does', () => {
    const e = validateCreate({ name: 'Orders_DB', version: '', storageGb: '0', username: 'pg_app', database: 'postgres', password: 'short' });
    expect(Object.keys(e).sort()).toEqual(['database', 'name', 'password', 'storageGb', 'username']);
  });
  it('leaves blank optional fields out of the input', () => {
    expect(toInput({ ...blank, name: ' a ', storageGb: '' })).toEqual({ name: 'a' });
    expect(toInput({ ...blank, name: 'a', version: '15', username: 'app2' })).toEqual({ name: 'a', version: 15, storageGb: 10, username: 'app2' });
  });
  it('sends the provider unless LOCAL, the plan, and a service type only for KUBERNETES', () => {
    expect(toInput({ ...blank, name: 'a', provider: 'LOCAL', plan: 'small', serviceType: 'LOAD_BALANCER' })).toEqual({ name: 'a', storageGb: 10, plan: 'small' });
    expect(toInput({ ...blank, name: 'a', provider: 'KUBERNETES', plan: 'large', serviceType: 'CLUSTER_IP' })).toEqual({
      name: 'a',
      storageGb: 10,
      provider: 'KUBERNETES',
      plan: 'large',
      serviceType: 'CLUSTER_IP',
    });
    // The installation's default service type: none sent.
    expect(toInput({ ...blank, name: 'a', provider: 'KUBERNETES', serviceType: '' })).toEqual({ name: 'a', storageGb: 10, provider: 'KUBERNETES' });
  });
});

describe('CreateInstanceForm', () => {
  it('shows client-side errors without calling the server', async () => {
    const onSubmit = vi.fn();
    render(<CreateInstanceForm versions={[15]} submitting={false} onSubmit={onSubmit} />);
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(screen.getByText('Name is required.')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('puts a server CONFLICT under the name field', async () => {
    const onSubmit = vi.fn().mockResolvedValue({ code: 'CONFLICT', message: 'an instance named orders already exists in this project' });
    render(<CreateInstanceForm versions={[15]} submitting={false} onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'orders', storageGb: 10 });
    expect(await screen.findByText(/already exists/)).toHaveAttribute('id', 'f-name-error');
  });

  it('puts an unmapped error at the top of the form', async () => {
    const onSubmit = vi.fn().mockResolvedValue({ code: 'FORBIDDEN', message: 'your role may not create instances' });
    render(<CreateInstanceForm versions={[15]} submitting={false} onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(await screen.findByTestId('form-error')).toHaveTextContent('your role may not create instances');
  });
});

describe('CreateInstanceForm with providers and plans', () => {
  it('offers a choice of provider only when KUBERNETES is offered, LOCAL chosen', () => {
    const { unmount } = render(<CreateInstanceForm versions={[15]} providers={['LOCAL']} plans={plans} submitting={false} onSubmit={vi.fn()} />);
    expect(screen.queryByRole('radiogroup', { name: 'Where it runs' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Kubernetes')).not.toBeInTheDocument();
    unmount();

    render(<CreateInstanceForm versions={[15]} providers={['LOCAL', 'KUBERNETES']} plans={plans} submitting={false} onSubmit={vi.fn()} />);
    const group = screen.getByRole('radiogroup', { name: 'Where it runs' });
    expect(within(group).getByLabelText('Local')).toBeChecked();
    expect(within(group).getByLabelText('Kubernetes')).not.toBeChecked();
    // Service types are Kubernetes's own.
    expect(screen.queryByRole('radiogroup', { name: 'Reached through' })).not.toBeInTheDocument();
  });

  it('shows each plan with its CPU and memory, small chosen until another is', async () => {
    render(<CreateInstanceForm versions={[15]} providers={['LOCAL', 'KUBERNETES']} plans={plans} submitting={false} onSubmit={vi.fn()} />);
    const picker = screen.getByRole('radiogroup', { name: 'Plan' });
    const rows = within(picker).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-plan'))).toEqual(['small', 'medium', 'large']);
    expect(rows[0]).toHaveTextContent(/small\s*0\.25\s*1\s*512 MiB/);
    expect(rows[2]).toHaveTextContent('4 GiB');
    expect(screen.getByLabelText('small')).toBeChecked();
    await userEvent.click(rows[1]);
    expect(screen.getByLabelText('medium')).toBeChecked();
    expect(screen.getByLabelText('small')).not.toBeChecked();
  });

  it('sends no serviceType for a LOCAL create, even after a look at Kubernetes', async () => {
    const onProviderChange = vi.fn();
    const onSubmit = vi.fn().mockResolvedValue(null);
    render(
      <CreateInstanceForm versions={[15]} providers={['LOCAL', 'KUBERNETES']} onProviderChange={onProviderChange} plans={plans} submitting={false} onSubmit={onSubmit} />,
    );
    await userEvent.click(screen.getByLabelText('Kubernetes'));
    await userEvent.click(screen.getByLabelText('Load balancer'));
    await userEvent.click(screen.getByLabelText('Local'));
    expect(onProviderChange.mock.calls.map((c) => c[0])).toEqual(['KUBERNETES', 'LOCAL']);
    expect(screen.queryByLabelText('Load balancer')).not.toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('medium'));
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'orders', storageGb: 10, plan: 'medium' });
  });

  it('puts a server error about the plan under the plan picker', async () => {
    const onSubmit = vi.fn().mockResolvedValue({ code: 'INVALID_INPUT', message: 'unknown plan "small"; plans: medium' });
    render(<CreateInstanceForm versions={[15]} providers={['LOCAL']} plans={plans} submitting={false} onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(await screen.findByText(/unknown plan/)).toHaveAttribute('id', 'f-plan-error');
    expect(screen.getByRole('radiogroup', { name: 'Plan' })).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('standbys', () => {
  it('sends standbys and synchronous only with a standby, and never for KUBERNETES', () => {
    expect(toInput({ ...blank, name: 'a', standbys: '0', synchronous: true })).toEqual({ name: 'a', storageGb: 10 });
    expect(toInput({ ...blank, name: 'a', standbys: '2' })).toEqual({ name: 'a', storageGb: 10, standbys: 2 });
    expect(toInput({ ...blank, name: 'a', provider: 'SERVER', standbys: '1', synchronous: true })).toEqual({ name: 'a', storageGb: 10, provider: 'SERVER', standbys: 1, synchronous: true });
    expect(toInput({ ...blank, name: 'a', provider: 'KUBERNETES', standbys: '1', synchronous: true })).toEqual({ name: 'a', storageGb: 10, provider: 'KUBERNETES' });
  });

  it('allows 0 to 2 standbys', () => {
    expect(validateCreate({ ...blank, name: 'a', standbys: '2' })).toEqual({});
    expect(Object.keys(validateCreate({ ...blank, name: 'a', standbys: '3' }))).toEqual(['standbys']);
    expect(Object.keys(validateCreate({ ...blank, name: 'a', standbys: '1.5' }))).toEqual(['standbys']);
  });

  it('enables synchronous commits only with a standby, and sends both', async () => {
    const onSubmit = vi.fn().mockResolvedValue(null);
    render(<CreateInstanceForm versions={[15]} providers={['LOCAL', 'KUBERNETES']} plans={plans} submitting={false} onSubmit={onSubmit} />);
    const standbys = screen.getByLabelText('Standbys');
    const synchronous = screen.getByLabelText('Synchronous commits');
    expect(standbys).toHaveValue(0);
    expect(synchronous).toBeDisabled();
    await userEvent.clear(standbys);
    await userEvent.type(standbys, '2');
    expect(synchronous).toBeEnabled();
    await userEvent.click(synchronous);
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'orders', storageGb: 10, plan: 'small', standbys: 2, synchronous: true });
  });

  it('hides standbys for KUBERNETES, and sends none after a look at them', async () => {
    const onSubmit = vi.fn().mockResolvedValue(null);
    render(<CreateInstanceForm versions={[15]} providers={['LOCAL', 'KUBERNETES']} plans={plans} submitting={false} onSubmit={onSubmit} />);
    await userEvent.clear(screen.getByLabelText('Standbys'));
    await userEvent.type(screen.getByLabelText('Standbys'), '1');
    await userEvent.click(screen.getByLabelText('Synchronous commits'));
    await userEvent.click(screen.getByLabelText('Kubernetes'));
    expect(screen.queryByLabelText('Standbys')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Synchronous commits')).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'orders', storageGb: 10, provider: 'KUBERNETES', plan: 'small' });
  });

  it('puts a refusal about standbys under their field', async () => {
    const onSubmit = vi.fn().mockResolvedValue({ code: 'INVALID_INPUT', message: 'synchronous needs at least one standby to wait for' });
    render(<CreateInstanceForm versions={[15]} submitting={false} onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(await screen.findByText(/synchronous needs/)).toHaveAttribute('id', 'f-standbys-error');
  });
});

describe('CreateInstancePage', () => {
  it("loads the chosen provider's versions and sends provider, plan and serviceType", async () => {
    const { client, sent } = mockClient((name, v) => {
      if (name === 'InstanceOfferings') return { instanceProviders: ['LOCAL', 'KUBERNETES'], instancePlans: plans };
      if (name === 'Versions') return { versions: v.provider === 'KUBERNETES' ? [13, 14, 15, 16, 17, 18] : [15] };
      if (name === 'CreateInstance') return { createInstance: { instance: { id: 'i1', name: 'orders', state: 'CREATING' }, operation: { id: 'o1' } } };
      throw new Error(`unexpected ${name}`);
    });
    render(
      <Urql value={client}>
        <MemoryRouter initialEntries={['/instances/new']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/instances/new" element={<CreateInstancePage />} />
            <Route path="/instances/:id" element={<p>the new instance</p>} />
          </Routes>
        </MemoryRouter>
      </Urql>,
    );
    const version = screen.getByLabelText('PostgreSQL version');
    await within(version).findByRole('option', { name: 'Newest (15)' });
    expect(within(version).queryByRole('option', { name: '18' })).not.toBeInTheDocument();

    await userEvent.click(await screen.findByLabelText('Kubernetes'));
    await within(version).findByRole('option', { name: 'Newest (18)' });
    expect(new Set(sent.filter((s) => s.name === 'Versions').map((s) => s.variables.provider))).toEqual(new Set(['LOCAL', 'KUBERNETES']));
    await userEvent.selectOptions(version, '15');
    await userEvent.click(screen.getByLabelText('Load balancer'));
    expect(screen.getByText('a cloud load balancer, reachable from outside')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));

    await screen.findByText('the new instance');
    expect(sent.find((s) => s.name === 'CreateInstance')?.variables).toEqual({
      input: { name: 'orders', provider: 'KUBERNETES', version: 15, plan: 'small', serviceType: 'LOAD_BALANCER', storageGb: 10 },
    });
  });
});

describe('CreateInstancePage with standbys', () => {
  it('sends standbys and synchronous in createInstance', async () => {
    const { client, sent } = mockClient((name) => {
      if (name === 'InstanceOfferings') return { instanceProviders: ['LOCAL'], instancePlans: plans };
      if (name === 'Versions') return { versions: [15] };
      if (name === 'CreateInstance') return { createInstance: { instance: { id: 'i1', name: 'orders', state: 'CREATING' }, operation: { id: 'o1' } } };
      throw new Error(`unexpected ${name}`);
    });
    render(
      <Urql value={client}>
        <MemoryRouter initialEntries={['/instances/new']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/instances/new" element={<CreateInstancePage />} />
            <Route path="/instances/:id" element={<p>the new instance</p>} />
          </Routes>
        </MemoryRouter>
      </Urql>,
    );
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.clear(screen.getByLabelText('Standbys'));
    await userEvent.type(screen.getByLabelText('Standbys'), '1');
    await userEvent.click(screen.getByLabelText('Synchronous commits'));
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    await screen.findByText('the new instance');
    expect(sent.find((s) => s.name === 'CreateInstance')?.variables).toEqual({ input: { name: 'orders', plan: 'small', storageGb: 10, standbys: 1, synchronous: true } });
  });
});

describe('SERVER instances', () => {
  const servers = [
    { id: 's1', name: 'alpha', region: 'home', memoryGb: 8, pgVersions: [15, 16], instanceCount: 0 },
    { id: 's2', name: 'beta', region: 'lab', memoryGb: 4, pgVersions: [15], instanceCount: 2 },
  ];

  it.each([
    ['INVALID_INPUT', 'no server has room for it (512 MB memory, 10 GB disk, PostgreSQL 15): alpha has 0 MB memory free', 'server'],
    ['INVALID_INPUT', 'no other server to place it on (512 MB memory, 10 GB disk, PostgreSQL 15): register or provision one', 'server'],
    ['NOT_FOUND', 'server not found', 'server'],
    ['INVALID_INPUT', 'the SERVER provider is not configured on this installation (set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach its servers)', 'provider'],
    ['INVALID_INPUT', 'serverId and region apply to SERVER instances only', 'provider'],
    ['NOT_FOUND', 'instance not found', null],
  ] as const)('createErrorField: %s %s -> %s', (code, message, field) => {
    expect(createErrorField({ code, message })).toBe(field);
  });

  it('sends the server when one is picked, else the region, and neither for other providers', () => {
    expect(toInput({ ...blank, name: 'a', provider: 'SERVER', serverId: 's1', region: 'home' })).toEqual({ name: 'a', storageGb: 10, provider: 'SERVER', serverId: 's1' });
    expect(toInput({ ...blank, name: 'a', provider: 'SERVER', serverId: '', region: 'lab' })).toEqual({ name: 'a', storageGb: 10, provider: 'SERVER', region: 'lab' });
    expect(toInput({ ...blank, name: 'a', provider: 'SERVER' })).toEqual({ name: 'a', storageGb: 10, provider: 'SERVER' });
    expect(toInput({ ...blank, name: 'a', provider: 'LOCAL', serverId: 's1', region: 'lab' })).toEqual({ name: 'a', storageGb: 10 });
  });

  it("offers the project's servers (or the placement rule) and their regions, and the versions they have", async () => {
    const onSubmit = vi.fn().mockResolvedValue(null);
    render(<CreateInstanceForm versions={[]} providers={['LOCAL', 'SERVER']} plans={plans} servers={servers} submitting={false} onSubmit={onSubmit} />);
    expect(screen.queryByLabelText('Server')).not.toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('Fleet server'));
    const server = screen.getByLabelText('Server');
    expect(within(server).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'The best server by the placement rule',
      'alpha — home · 8 GB · 0 instances',
      'beta — lab · 4 GB · 2 instances',
    ]);
    const version = screen.getByLabelText('PostgreSQL version');
    // Every server's versions, until one is picked.
    expect(within(version).getByRole('option', { name: 'Newest (16)' })).toBeInTheDocument();
    const region = screen.getByLabelText('Region');
    expect(within(region).getAllByRole('option').map((o) => o.textContent)).toEqual(['Any region', 'home', 'lab']);
    await userEvent.selectOptions(region, 'lab');
    expect(within(version).getByRole('option', { name: 'Newest (15)' })).toBeInTheDocument();

    await userEvent.selectOptions(server, 's1');
    expect(region).toBeDisabled();
    expect(screen.getByText('0 to 2, each on a server of its own, streaming its changes and ready to take over.')).toBeInTheDocument();
    expect(within(version).getByRole('option', { name: 'Newest (16)' })).toBeInTheDocument();
    expect(screen.getByText('PostgreSQL 15, 16 installed there.')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'orders', provider: 'SERVER', serverId: 's1', plan: 'small', storageGb: 10 });
  });

  it('puts "no server has room" under the server picker', async () => {
    const message = 'no server has room for it (4096 MB memory, 10 GB disk, PostgreSQL 15): beta has 3072 MB memory free';
    const onSubmit = vi.fn().mockResolvedValue({ code: 'INVALID_INPUT', message });
    render(<CreateInstanceForm versions={[]} providers={['LOCAL', 'SERVER']} plans={plans} servers={servers} initial={{ provider: 'SERVER', serverId: 's2' }} submitting={false} onSubmit={onSubmit} />);
    expect(screen.getByLabelText('Server')).toHaveValue('s2');
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    expect(await screen.findByText(message)).toHaveAttribute('id', 'f-server-error');
  });

  it('says when the project has no server to place it on', async () => {
    render(
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <CreateInstanceForm versions={[]} providers={['LOCAL', 'SERVER']} plans={plans} servers={[]} submitting={false} onSubmit={vi.fn()} />
      </MemoryRouter>,
    );
    await userEvent.click(screen.getByLabelText('Fleet server'));
    expect(screen.getByRole('link', { name: 'Register one' })).toHaveAttribute('href', '/servers/register');
  });

  it("starts on a server named in the address, with only the current project's reachable servers", async () => {
    const { client, sent } = mockClient((name) => {
      if (name === 'InstanceOfferings') return { instanceProviders: ['LOCAL', 'SERVER'], instancePlans: plans };
      if (name === 'Versions') return { versions: [] };
      if (name === 'ActiveServers')
        return {
          servers: {
            nodes: [
              { ...servers[0], projectId: 'p1', provider: 'EXISTING', state: 'ACTIVE', sshHostKey: 'ssh-ed25519 A', diskGb: 50 },
              { ...servers[1], projectId: 'p1', provider: 'HETZNER', state: 'ACTIVE', sshHostKey: null, diskGb: 40 },
            ],
          },
        };
      if (name === 'CreateInstance') return { createInstance: { instance: { id: 'i1', name: 'orders', state: 'CREATING' }, operation: { id: 'o1' } } };
      throw new Error(`unexpected ${name}`);
    });
    render(
      <Urql value={client}>
        <MemoryRouter initialEntries={['/instances/new?provider=SERVER&server=s1']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/instances/new" element={<CreateInstancePage />} />
            <Route path="/instances/:id" element={<p>the new instance</p>} />
          </Routes>
        </MemoryRouter>
      </Urql>,
    );
    const server = await screen.findByLabelText('Server');
    await within(server).findByRole('option', { name: /^alpha/ });
    // beta has not been reached over SSH: placement would refuse it.
    expect(within(server).queryByRole('option', { name: /^beta/ })).not.toBeInTheDocument();
    expect(server).toHaveValue('s1');
    await userEvent.type(screen.getByLabelText('Name'), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Create instance' }));
    await screen.findByText('the new instance');
    expect(sent.find((s) => s.name === 'CreateInstance')?.variables).toEqual({ input: { name: 'orders', provider: 'SERVER', serverId: 's1', plan: 'small', storageGb: 10 } });
  });
});
