import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { CreateInstanceForm, toInput, validateCreate } from './CreateInstance';
import { createErrorField } from '../lib/errors';

const blank = { name: '', version: '', storageGb: '10', username: '', database: '', password: '' };

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
    ['FORBIDDEN', 'your role may not create instances', null],
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
