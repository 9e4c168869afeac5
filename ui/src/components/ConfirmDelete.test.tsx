import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmDelete } from './ConfirmDelete';

describe('ConfirmDelete', () => {
  it('enables delete only when the exact name is typed', async () => {
    const onConfirm = vi.fn();
    render(<ConfirmDelete name="orders-db" onConfirm={onConfirm} onCancel={() => {}} />);
    const button = screen.getByRole('button', { name: 'Delete instance' });
    const input = screen.getByLabelText(/Type orders-db to confirm/);
    expect(button).toBeDisabled();

    await userEvent.type(input, 'orders-d');
    expect(button).toBeDisabled();
    await userEvent.type(input, '{enter}');
    expect(onConfirm).not.toHaveBeenCalled();

    await userEvent.type(input, 'b');
    expect(button).toBeEnabled();
    await userEvent.click(button);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('is not fooled by a different case', async () => {
    render(<ConfirmDelete name="orders-db" onConfirm={() => {}} onCancel={() => {}} />);
    await userEvent.type(screen.getByRole('textbox'), 'ORDERS-DB');
    expect(screen.getByRole('button', { name: 'Delete instance' })).toBeDisabled();
  });

  it('cancels, and shows a server error', async () => {
    const onCancel = vi.fn();
    render(<ConfirmDelete name="x" error="instance x is DELETING" onConfirm={() => {}} onCancel={onCancel} />);
    expect(screen.getByRole('alert')).toHaveTextContent('instance x is DELETING');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalled();
  });
});

describe('ConfirmDelete for another kind of resource', () => {
  it('uses its own title, explanation and button', async () => {
    const onConfirm = vi.fn();
    render(
      <ConfirmDelete name="fsn1-a" title="Remove fsn1-a?" confirmLabel="Remove server" busyLabel="Removing…" onConfirm={onConfirm} onCancel={() => {}}>
        <p>This deletes its VM.</p>
      </ConfirmDelete>,
    );
    expect(screen.getByRole('dialog', { name: 'Remove fsn1-a?' })).toHaveTextContent('This deletes its VM.');
    expect(screen.queryByText(/with all its data/)).not.toBeInTheDocument();
    const button = screen.getByRole('button', { name: 'Remove server' });
    expect(button).toBeDisabled();
    await userEvent.type(screen.getByLabelText(/Type fsn1-a to confirm/), 'fsn1-a{enter}');
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });
});
