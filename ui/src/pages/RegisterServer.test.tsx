import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { REGISTER_DEFAULTS, RegisterServerForm } from './RegisterServer';
import { registerErrorField, toRegisterInput, validateRegister } from '../lib/fleet';
import type { ApiError } from '../lib/errors';

const good = { ...REGISTER_DEFAULTS, name: 'db-host-1', address: '203.0.113.10' };

describe('registerErrorField maps server errors to fields', () => {
  it.each([
    ['INVALID_INPUT', `name "Bad" must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit`, 'name'],
    ['CONFLICT', 'a server named alpha already exists in this project', 'name'],
    ['INVALID_INPUT', 'address "nope" is not an IP address', 'address'],
    ['INVALID_INPUT', "0.0.0.0 is not a host's address", 'address'],
    ['CONFLICT', 'server alpha is registered at 127.0.33.1:41585 already', 'address'],
    ['INVALID_INPUT', 'sshPort must be between 1 and 65535', 'sshPort'],
    ['INVALID_INPUT', `sshUser "Root" must be a user name: lower-case letters, digits, '_' or '-'`, 'sshUser'],
    ['INVALID_INPUT', 'region "Home" must be a DNS-1123 label', 'region'],
    ['INVALID_INPUT', 'memoryGb must be between 0.25 and 65536', 'memoryGb'],
    ['INVALID_INPUT', 'diskGb must be between 1 and 1000000', 'diskGb'],
    ['INVALID_INPUT', 'no SSH key is configured: set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach servers', null],
    ['FORBIDDEN', 'your role may not register servers in this project', null],
  ] as const)('%s %s -> %s', (code, message, field) => {
    expect(registerErrorField({ code, message })).toBe(field);
  });
});

describe('validateRegister', () => {
  it('accepts a name and an address, with the defaults', () => {
    expect(validateRegister(good)).toEqual({});
    expect(validateRegister({ ...good, address: '2001:db8::10', memoryGb: '7.5', diskGb: '200', region: 'home-lab' })).toEqual({});
  });
  it('checks every field like the server does', () => {
    const e = validateRegister({ name: 'Bad_Name', address: '300.1.2.3', sshPort: '70000', sshUser: 'Root', region: 'Home Lab', memoryGb: '0.1', diskGb: '1.5' });
    expect(Object.keys(e).sort()).toEqual(['address', 'diskGb', 'memoryGb', 'name', 'region', 'sshPort', 'sshUser']);
    expect(validateRegister({ ...good, name: '', address: '' })).toEqual({ name: 'Name is required.', address: expect.stringMatching(/^The address is required/) });
  });
  it('leaves empty optional fields to the server', () => {
    expect(toRegisterInput({ ...good, sshPort: '', sshUser: '' })).toEqual({ name: 'db-host-1', address: '203.0.113.10' });
    expect(toRegisterInput({ ...good, name: ' a ', sshPort: '2222', region: 'lab', memoryGb: '7.5', diskGb: '200' })).toEqual({
      name: 'a',
      address: '203.0.113.10',
      sshPort: 2222,
      sshUser: 'root',
      region: 'lab',
      memoryGb: 7.5,
      diskGb: 200,
    });
  });
});

describe('RegisterServerForm', () => {
  function renderForm(answer: ApiError | null) {
    const onSubmit = vi.fn().mockResolvedValue(answer);
    render(<RegisterServerForm submitting={false} onSubmit={onSubmit} />);
    return onSubmit;
  }
  const fill = async (name: string, address: string) => {
    await userEvent.type(screen.getByLabelText('Name'), name);
    await userEvent.type(screen.getByLabelText('Address'), address);
  };

  it('starts with SSH port 22 and user root, memory and disk measured if empty', () => {
    renderForm(null);
    expect(screen.getByLabelText('SSH port')).toHaveValue(22);
    expect(screen.getByLabelText('SSH user')).toHaveValue('root');
    expect(screen.getByLabelText('Memory for instances, GB (optional)')).toHaveAttribute('placeholder', 'measured if empty');
    expect(screen.getByLabelText('Disk for instances, GB (optional)')).toHaveAttribute('placeholder', 'measured if empty');
  });

  it('shows client-side errors without a request', async () => {
    const onSubmit = renderForm(null);
    await fill('x', 'not-an-ip');
    await userEvent.click(screen.getByRole('button', { name: 'Register server' }));
    expect(screen.getByLabelText('Address')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('not-an-ip is not an IP address.')).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('sends the input, and puts a CONFLICT under the field it is about', async () => {
    const onSubmit = renderForm({ code: 'CONFLICT', message: 'server alpha is registered at 127.0.33.1:2222 already' });
    await fill('gamma', '127.0.33.1');
    await userEvent.clear(screen.getByLabelText('SSH port'));
    await userEvent.type(screen.getByLabelText('SSH port'), '2222');
    await userEvent.type(screen.getByLabelText('Memory for instances, GB (optional)'), '4');
    await userEvent.click(screen.getByRole('button', { name: 'Register server' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'gamma', address: '127.0.33.1', sshPort: 2222, sshUser: 'root', memoryGb: 4 });
    const err = await screen.findByRole('alert');
    expect(err).toHaveAttribute('id', 'f-address-error');
    expect(err).toHaveTextContent('server alpha is registered at 127.0.33.1:2222 already');
    expect(screen.getByLabelText('Address')).toHaveAttribute('aria-describedby', 'f-address-error');
    // Editing the field clears its error.
    await userEvent.type(screen.getByLabelText('Address'), '0');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('puts a taken name under the name, and an INVALID_INPUT under its field', async () => {
    const onSubmit = vi
      .fn()
      .mockResolvedValueOnce({ code: 'CONFLICT', message: 'a server named alpha already exists in this project' })
      .mockResolvedValueOnce({ code: 'INVALID_INPUT', message: `sshUser "x y" must be a user name` });
    render(<RegisterServerForm submitting={false} onSubmit={onSubmit} />);
    await fill('alpha', '10.0.0.1');
    await userEvent.click(screen.getByRole('button', { name: 'Register server' }));
    expect(await screen.findByRole('alert')).toHaveAttribute('id', 'f-name-error');
    await userEvent.click(screen.getByRole('button', { name: 'Register server' }));
    expect(await screen.findByRole('alert')).toHaveAttribute('id', 'f-sshUser-error');
  });

  it('shows an error about no field above the form', async () => {
    renderForm({ code: 'INVALID_INPUT', message: 'no SSH key is configured: set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach servers' });
    await fill('alpha', '10.0.0.1');
    await userEvent.click(screen.getByRole('button', { name: 'Register server' }));
    expect(await screen.findByTestId('form-error')).toHaveTextContent('no SSH key is configured');
  });
});
