import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ProvisionServerForm, toProvisionInput, validateProvision, type Offerings } from './ProvisionServer';

const plan = (name: string, over: Partial<Offerings['plans'][number]> = {}) => ({
  name,
  cores: 2,
  memoryGb: 4,
  diskGb: 40,
  monthlyPrice: 3.79,
  currency: 'EUR',
  architecture: 'x86',
  regions: ['fsn1', 'nbg1'],
  deprecated: false,
  ...over,
});
const offerings: Offerings = {
  plans: [plan('cx22'), plan('cpx11', { monthlyPrice: null, regions: [] }), plan('cx11', { deprecated: true })],
  regions: ['fsn1', 'nbg1', 'ash'],
};
const templates = [
  { name: 'postgres-host', description: "Debian 12 with Debian's PostgreSQL 15" },
  { name: 'postgres-host-pgdg', description: 'Debian 12 with PostgreSQL 14 to 17 from apt.postgresql.org' },
];
const good = { provider: 'HETZNER' as const, plan: 'cx22', region: 'fsn1', name: '', template: 'postgres-host' };

function renderForm(onSubmit = vi.fn().mockResolvedValue(null)) {
  render(
    <ProvisionServerForm
      configured={['HETZNER']}
      templates={templates}
      offerings={offerings}
      provider="HETZNER"
      onProviderChange={() => {}}
      submitting={false}
      onSubmit={onSubmit}
    />,
  );
  return onSubmit;
}

describe('validateProvision', () => {
  it('accepts a plan in one of its regions, with or without a name', () => {
    expect(validateProvision(good, ['HETZNER'], offerings)).toEqual({});
    expect(validateProvision({ ...good, name: 'db-1' }, ['HETZNER'], offerings)).toEqual({});
  });
  it('checks every field like the server does', () => {
    const e = validateProvision({ provider: 'DIGITALOCEAN', plan: '', region: '', name: 'Bad_Name', template: '' }, ['HETZNER'], offerings);
    expect(Object.keys(e).sort()).toEqual(['name', 'plan', 'provider', 'region']);
  });
  it('refuses a region the plan is not sold in, and a deprecated plan', () => {
    expect(validateProvision({ ...good, region: 'ash' }, ['HETZNER'], offerings).region).toMatch(/cx22 is not offered in ash; it is offered in fsn1, nbg1/);
    expect(validateProvision({ ...good, region: 'ash', plan: 'cpx11' }, ['HETZNER'], offerings)).toEqual({});
    expect(validateProvision({ ...good, plan: 'cx11' }, ['HETZNER'], offerings).plan).toMatch(/deprecated/);
  });
  it('leaves a blank name out of the input', () => {
    expect(toProvisionInput({ ...good, name: '  ' })).toEqual({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', template: 'postgres-host' });
    expect(toProvisionInput({ ...good, name: ' db-1 ' }).name).toBe('db-1');
  });
});

describe('ProvisionServerForm', () => {
  it('shows the plans with their size and price, but not deprecated ones', () => {
    renderForm();
    const picker = screen.getByRole('radiogroup', { name: 'Plan' });
    expect(picker).toHaveTextContent('cx22');
    expect(picker).toHaveTextContent('€3.79 / month');
    expect(picker).toHaveTextContent('price unknown');
    expect(picker).not.toHaveTextContent('cx11');
  });

  it('shows the chosen template’s description', async () => {
    renderForm();
    expect(screen.getByText(/PostgreSQL 15/)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Template'), 'postgres-host-pgdg');
    expect(screen.getByText(/14 to 17/)).toBeInTheDocument();
  });

  it('shows client-side errors without a confirmation or a request', async () => {
    const onSubmit = renderForm();
    await userEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(screen.getByText('Choose a plan.')).toBeInTheDocument();
    expect(screen.getByText('Choose a region.')).toBeInTheDocument();
    expect(screen.queryByText('Provision this server?')).not.toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('says what will be made and its monthly price before sending anything', async () => {
    const onSubmit = renderForm();
    await userEvent.click(screen.getByLabelText('cx22'));
    await userEvent.selectOptions(screen.getByLabelText('Region'), 'fsn1');
    await userEvent.type(screen.getByLabelText('Name (optional)'), 'db-1');
    await userEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(screen.getByText('Provision this server?')).toBeInTheDocument();
    const summary = screen.getByTestId('provision-summary');
    expect(summary).toHaveTextContent('db-1');
    expect(summary).toHaveTextContent('Hetzner');
    expect(summary).toHaveTextContent('2 vCPU · 4 GB RAM · 40 GB disk');
    expect(summary).toHaveTextContent('fsn1');
    expect(summary).toHaveTextContent('postgres-host');
    expect(screen.getByTestId('provision-price')).toHaveTextContent('It costs €3.79 / month');
    expect(onSubmit).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Provision server' }));
    expect(onSubmit).toHaveBeenCalledWith({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', name: 'db-1', template: 'postgres-host' });
  });

  it('says when the price is unknown, and goes back to edit', async () => {
    const onSubmit = renderForm();
    await userEvent.click(screen.getByLabelText('cpx11'));
    await userEvent.selectOptions(screen.getByLabelText('Region'), 'ash');
    await userEvent.click(screen.getByRole('button', { name: 'Review…' }));
    expect(screen.getByTestId('provision-price')).toHaveTextContent(/price is unknown/);
    expect(screen.getByTestId('provision-summary')).toHaveTextContent('generated from region and plan');
    await userEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByLabelText('cpx11')).toBeChecked();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('puts a server error under its field, back on the first step', async () => {
    const onSubmit = renderForm(vi.fn().mockResolvedValue({ code: 'CONFLICT', message: 'a server named db-1 already exists in this project' }));
    await userEvent.click(screen.getByLabelText('cx22'));
    await userEvent.selectOptions(screen.getByLabelText('Region'), 'nbg1');
    await userEvent.type(screen.getByLabelText('Name (optional)'), 'db-1');
    await userEvent.click(screen.getByRole('button', { name: 'Review…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Provision server' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(await screen.findByText(/already exists/)).toHaveAttribute('id', 'f-name-error');
    expect(screen.getByLabelText('Name (optional)')).toHaveValue('db-1');
  });

  it('puts an unmapped server error at the top of the form', async () => {
    renderForm(vi.fn().mockResolvedValue({ code: 'FORBIDDEN', message: 'your role may not provision servers in this project' }));
    await userEvent.click(screen.getByLabelText('cx22'));
    await userEvent.selectOptions(screen.getByLabelText('Region'), 'nbg1');
    await userEvent.click(screen.getByRole('button', { name: 'Review…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Provision server' }));
    expect(await screen.findByTestId('form-error')).toHaveTextContent('your role may not provision servers');
  });

  it('does not offer a region the chosen plan is not sold in', async () => {
    renderForm();
    await userEvent.click(screen.getByLabelText('cx22'));
    expect(screen.getByRole('option', { name: 'ash (no cx22)' })).toBeDisabled();
    expect(screen.getByRole('option', { name: 'fsn1' })).toBeEnabled();
  });
});
