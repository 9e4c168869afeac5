import { render } from '@testing-library/react';
import { Provider, CombinedError, type Client } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { useLive } from './live';
import { InstanceUpdatedSubscription } from './documents';

type Push = (r: { data?: unknown; error?: CombinedError }) => void;

function fakeClient() {
  const pushes: Push[] = [];
  const client = {
    subscription: vi.fn(() => ({
      subscribe(cb: Push) {
        pushes.push(cb);
        return { unsubscribe: vi.fn() };
      },
    })),
  } as unknown as Client;
  return { client, pushes };
}

function Probe({ onData, onGap }: { onData: (d: unknown) => void; onGap: () => void }) {
  useLive(InstanceUpdatedSubscription, {}, onData, onGap);
  return null;
}

describe('useLive', () => {
  it('delivers every event, even several in one tick', () => {
    const { client, pushes } = fakeClient();
    const onData = vi.fn();
    render(
      <Provider value={client}>
        <Probe onData={onData} onGap={() => {}} />
      </Provider>,
    );
    pushes[0]({ data: { instanceUpdated: { id: 'a' } } });
    pushes[0]({ data: { instanceUpdated: { id: 'b' } } });
    expect(onData.mock.calls.map((c) => (c[0] as { instanceUpdated: { id: string } }).instanceUpdated.id)).toEqual(['a', 'b']);
  });

  it('refetches and resubscribes when the server says LAGGED', async () => {
    vi.useFakeTimers();
    const { client, pushes } = fakeClient();
    const onGap = vi.fn();
    render(
      <Provider value={client}>
        <Probe onData={() => {}} onGap={onGap} />
      </Provider>,
    );
    pushes[0]({ error: new CombinedError({ graphQLErrors: [{ message: 'lagged', extensions: { code: 'LAGGED' } }] }) });
    expect(onGap).toHaveBeenCalledTimes(1);
    await vi.runAllTimersAsync();
    expect(client.subscription).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });
});
