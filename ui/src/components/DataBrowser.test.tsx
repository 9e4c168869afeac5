import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider as Urql } from 'urql';
import { describe, expect, it } from 'vitest';
import { DataBrowser, bytes, estimate, quoteIdent } from './DataBrowser';
import { cellText } from './RowGrid';
import { gqlError, mockClient } from '../test/mockClient';

const table = (name: string, over: Record<string, unknown> = {}) => ({
  schema: 'public',
  name,
  kind: 'table',
  estimatedRows: 120,
  sizeBytes: 16384,
  columns: [
    { name: 'id', dataType: 'bigint', nullable: false, default: null, primaryKey: true },
    { name: 'note', dataType: 'text', nullable: true, default: null, primaryKey: false },
  ],
  indexes: [{ name: `${name}_pkey`, definition: `CREATE UNIQUE INDEX ${name}_pkey ON public.${name} USING btree (id)`, unique: true, primary: true }],
  ...over,
});
const cols = [
  { name: 'id', dataType: 'int8' },
  { name: 'note', dataType: 'text' },
];

function renderBrowser(answer: (name: string, v: Record<string, unknown>) => unknown) {
  const mock = mockClient((name, v) => {
    const a = answer(name, v);
    if (a !== undefined) return a;
    throw new Error(`unexpected ${name}`);
  });
  render(
    <Urql value={mock.client}>
      <DataBrowser instanceId="i1" />
    </Urql>,
  );
  return mock;
}

describe('DataBrowser', () => {
  it('lists tables with their estimated rows, and pages through a table’s rows with after', async () => {
    const { sent } = renderBrowser((name, v) => {
      if (name === 'InstanceTables') return { instance: { id: 'i1', tables: [table('orders'), table('v_totals', { kind: 'view', estimatedRows: -1 })] } };
      if (name === 'InstanceRows')
        return {
          instance: {
            id: 'i1',
            rows: v.after
              ? { columns: cols, rows: [[3, 'third']], truncated: false, nextCursor: null }
              : { columns: cols, rows: [[1, 'first'], [2, null]], truncated: true, nextCursor: 'c2' },
          },
        };
      return undefined;
    });
    const list = await screen.findByRole('list', { name: 'Tables' });
    expect(list).toHaveTextContent('~120 rows · 16 kB');
    expect(list).toHaveTextContent('not analyzed');
    expect(within(list).getByText('view')).toBeInTheDocument();

    await userEvent.click(within(list).getByRole('button', { name: /orders/ }));
    const grid = await screen.findByRole('table', { name: 'Rows of public.orders' });
    expect(within(grid).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['idint8', 'notetext']);
    expect(within(grid).getByText('NULL')).toBeInTheDocument();
    expect(screen.getByTestId('rows-count')).toHaveTextContent('2 rows shown, more available');

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await within(grid).findByText('third');
    expect(within(grid).getAllByRole('row')).toHaveLength(4);
    expect(screen.getByTestId('rows-count')).toHaveTextContent('3 rows shown');
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(sent.filter((s) => s.name === 'InstanceRows').map((s) => s.variables)).toEqual([
      { id: 'i1', table: 'orders', schema: 'public', first: 50, after: null },
      { id: 'i1', table: 'orders', schema: 'public', first: 50, after: 'c2' },
    ]);
  });

  it('runs read-only SQL and shows its rows', async () => {
    const { sent } = renderBrowser((name) => {
      if (name === 'InstanceTables') return { instance: { id: 'i1', tables: [] } };
      if (name === 'RunReadOnlyQuery') return { runReadOnlyQuery: { columns: [{ name: 'one', dataType: 'INT4' }, { name: 'two', dataType: 'TEXT' }], rows: [[1, 'x']], truncated: false, nextCursor: null } };
      return undefined;
    });
    await screen.findByTestId('no-tables');
    await userEvent.type(screen.getByLabelText('Read-only SQL'), "select 1 as one, 'x' as two");
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    const grid = await screen.findByRole('table', { name: 'Query result' });
    expect(within(grid).getAllByRole('cell').map((c) => c.textContent)).toEqual(['1', 'x']);
    expect(screen.getByTestId('sql-summary')).toHaveTextContent(/^1 row ·/);
    expect(sent.find((s) => s.name === 'RunReadOnlyQuery')?.variables).toEqual({ instanceId: 'i1', sql: "select 1 as one, 'x' as two" });
  });

  it('shows a refused statement’s error with its code, and no stale result', async () => {
    let refuse = false;
    renderBrowser((name) => {
      if (name === 'InstanceTables') return { instance: { id: 'i1', tables: [] } };
      if (name === 'RunReadOnlyQuery')
        return refuse
          ? gqlError('INVALID_INPUT', 'the query failed: cannot execute CREATE TABLE in a read-only transaction')
          : { runReadOnlyQuery: { columns: [{ name: 'one', dataType: 'INT4' }], rows: [[1]], truncated: false, nextCursor: null } };
      return undefined;
    });
    const sql = await screen.findByLabelText('Read-only SQL');
    await userEvent.type(sql, 'select 1 as one');
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    await screen.findByRole('table', { name: 'Query result' });

    refuse = true;
    await userEvent.clear(sql);
    await userEvent.type(sql, 'create table t(){Control>}{Enter}{/Control}');
    const error = await screen.findByTestId('sql-error');
    expect(error).toHaveRole('alert');
    expect(error).toHaveTextContent('INVALID_INPUT the query failed: cannot execute CREATE TABLE in a read-only transaction');
    expect(screen.queryByRole('table', { name: 'Query result' })).not.toBeInTheDocument();
  });

  it('says why the tables cannot be listed', async () => {
    renderBrowser((name) => (name === 'InstanceTables' ? gqlError('CONFLICT', 'instance orders is not running') : undefined));
    expect(await screen.findByRole('alert')).toHaveTextContent('instance orders is not running');
  });

  it('offers to query the chosen table in SQL', async () => {
    renderBrowser((name) => {
      if (name === 'InstanceTables') return { instance: { id: 'i1', tables: [table('Order "items"')] } };
      if (name === 'InstanceRows') return { instance: { id: 'i1', rows: { columns: cols, rows: [], truncated: false, nextCursor: null } } };
      return undefined;
    });
    await userEvent.click(await screen.findByRole('button', { name: /Order "items"/ }));
    await screen.findByText('No rows.');
    await userEvent.click(screen.getByRole('button', { name: 'Query in SQL' }));
    await waitFor(() => expect(screen.getByLabelText('Read-only SQL')).toHaveValue('select * from "public"."Order ""items""" limit 100'));
  });
});

describe('data formatting', () => {
  it('renders sizes, estimates, identifiers and cells', () => {
    expect(bytes(812)).toBe('812 B');
    expect(bytes(16384)).toBe('16 kB');
    expect(bytes(1_200_000)).toBe('1.2 MB');
    expect(estimate(-1)).toBe('not analyzed');
    expect(estimate(1)).toBe('~1 row');
    expect(estimate(12000)).toBe('~12,000 rows');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(cellText(null)).toBeNull();
    expect(cellText(false)).toBe('false');
    expect(cellText({ a: [1] })).toBe('{"a":[1]}');
  });
});
