import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider as Urql } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { RestoreDialog, type RestoreSource } from './RestoreDialog';
import { fromLocalInput, toLocalInput } from '../../lib/backups';
import { gqlError, mockClient } from '../../test/mockClient';

const source: RestoreSource = {
  id: 'i1',
  name: 'orders',
  provider: 'LOCAL',
  plan: 'small',
  storageGb: 10,
  earliestRestoreTime: '2026-01-01T00:01:00.400Z',
  latestRestoreTime: '2026-01-01T02:30:00.700Z',
  backups: ['2026-01-01T00:01:00.400Z'],
};

function renderDialog(answer: (name: string) => unknown = () => ({ restoreInstance: { instance: { id: 'i2', name: 'orders-restored', state: 'CREATING' }, operation: { id: 'op-r' } } })) {
  const mock = mockClient(answer);
  const onRestored = vi.fn();
  const onRefused = vi.fn();
  const onCancel = vi.fn();
  render(
    <Urql value={mock.client}>
      <RestoreDialog source={source} onCancel={onCancel} onRestored={onRestored} onRefused={onRefused} />
    </Urql>,
  );
  const dialog = screen.getByRole('dialog', { name: 'Restore orders' });
  return { ...mock, dialog, onRestored, onRefused, onCancel };
}

/** Pick "A point in time" and set the picker to `value` (a datetime-local value, local time). */
async function pickTime(dialog: HTMLElement, value: string) {
  await userEvent.click(within(dialog).getByLabelText('A point in time'));
  const input = within(dialog).getByLabelText('Date and time (your local time)');
  fireEvent.change(input, { target: { value } });
  return input;
}

describe('RestoreDialog', () => {
  it('offers the window, in whole seconds, and the latest point by default', async () => {
    const { dialog } = renderDialog();
    expect(within(dialog).getByLabelText(/^The latest restorable point/)).toBeChecked();
    expect(within(dialog).getByTestId('timeline-selected')).toBeInTheDocument();
    const input = await pickTime(dialog, toLocalInput(Date.parse('2026-01-01T01:00:00Z')));
    expect(input).toHaveAttribute('type', 'datetime-local');
    expect(input).toHaveAttribute('min', toLocalInput(Date.parse('2026-01-01T00:01:01Z')));
    expect(input).toHaveAttribute('max', toLocalInput(Date.parse('2026-01-01T02:30:00Z')));
    expect(within(dialog).getByTestId('restore-time-utc')).toHaveTextContent('2026-01-01 01:00:00 UTC');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Earliest' }));
    // jsdom writes the value with milliseconds; a browser without: compare the moments.
    expect(fromLocalInput((input as HTMLInputElement).value)).toBe(Date.parse('2026-01-01T00:01:01Z'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Latest' }));
    expect(fromLocalInput((input as HTMLInputElement).value)).toBe(Date.parse('2026-01-01T02:30:00Z'));
  });

  it('refuses a time outside the window before sending anything', async () => {
    const { dialog, sent } = renderDialog();
    const input = await pickTime(dialog, toLocalInput(Date.parse('2026-01-01T02:31:00Z')));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    const error = within(dialog).getByRole('alert');
    expect(error).toHaveTextContent(/Pick a time inside the restore window, from .* to /);
    expect(input).toHaveAttribute('aria-invalid', 'true');
    // One second before the first restorable one is outside too.
    fireEvent.change(input, { target: { value: toLocalInput(Date.parse('2026-01-01T00:01:00Z')) } });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('inside the restore window');
    expect(sent.some((s) => s.name === 'RestoreInstance')).toBe(false);
    // A new pick clears what was said about the last one.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Latest' }));
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'false');
  });

  it('sends the picked local time as UTC', async () => {
    const { dialog, sent, onRestored } = renderDialog();
    await pickTime(dialog, toLocalInput(Date.parse('2026-01-01T01:15:30Z')));
    const name = within(dialog).getByLabelText('New instance name');
    await userEvent.clear(name);
    await userEvent.type(name, 'orders-before-bug');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    expect(sent.find((s) => s.name === 'RestoreInstance')?.variables).toEqual({
      input: { sourceInstanceId: 'i1', name: 'orders-before-bug', targetTime: '2026-01-01T01:15:30.000Z', provider: 'LOCAL', plan: 'small', storageGb: 10 },
    });
    expect(onRestored).toHaveBeenCalledWith('i2', 'op-r', 'orders-restored');
  });

  it("shows the server's INVALID_INPUT message under the time it is about", async () => {
    const message = 'targetTime 2026-01-01T00:01:30+00:00 is outside the restore window of instance orders: from 2026-01-01T00:02:00+00:00 to 2026-01-01T02:30:00+00:00';
    const { dialog, onRestored } = renderDialog(() => gqlError('INVALID_INPUT', message));
    const input = await pickTime(dialog, toLocalInput(Date.parse('2026-01-01T00:01:30Z')));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    const error = await within(dialog).findByRole('alert');
    expect(error).toHaveTextContent(message);
    expect(error).toHaveAttribute('id', input.getAttribute('aria-describedby'));
    expect(onRestored).not.toHaveBeenCalled();
  });

  it('puts a taken name under the name, and other refusals under the form', async () => {
    let answer: unknown = gqlError('CONFLICT', 'an instance named orders-restored already exists in this project');
    const { dialog } = renderDialog(() => answer);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('already exists');
    expect(within(dialog).getByLabelText('New instance name')).toHaveAttribute('aria-invalid', 'true');

    answer = gqlError('INVALID_INPUT', 'the backups of instance orders were purged when it was deleted');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    expect(await within(dialog).findByText('the backups of instance orders were purged when it was deleted')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('New instance name')).toHaveAttribute('aria-invalid', 'false');
  });

  it('hands an UNSUPPORTED refusal to the tab', async () => {
    const { dialog, onRefused } = renderDialog(() => gqlError('UNSUPPORTED', 'backups are off on this installation: pgBackRest is not installed'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    await vi.waitFor(() => expect(onRefused).toHaveBeenCalledWith({ code: 'UNSUPPORTED', message: 'backups are off on this installation: pgBackRest is not installed' }));
  });

  it('needs a name', async () => {
    const { dialog, sent } = renderDialog();
    await userEvent.clear(within(dialog).getByLabelText('New instance name'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Name the new instance.');
    expect(sent).toHaveLength(0);
  });
});
