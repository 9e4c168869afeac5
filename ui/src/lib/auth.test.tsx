import { act, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthProvider, useAuth } from './auth';

type Auth = ReturnType<typeof useAuth>;

function Probe({ into }: { into: { current: Auth | null } }) {
  into.current = useAuth();
  return null;
}

function mount() {
  const auth: { current: Auth | null } = { current: null };
  render(
    <AuthProvider>
      <Probe into={auth} />
    </AuthProvider>,
  );
  act(() =>
    auth.current!.login({
      token: 't',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    } as Parameters<Auth['login']>[0]),
  );
  return auth;
}

describe('the session', () => {
  afterEach(() => localStorage.clear());

  it('keeps the reason it ended with when refusals of requests still in flight come after', () => {
    const auth = mount();
    act(() => auth.current!.logout('password changed'));
    act(() => auth.current!.sessionEnded('the server refused the token'));
    expect(auth.current!.session).toBeNull();
    expect(auth.current!.endedBecause).toBe('password changed');
  });

  it('ends with the server’s reason when it refuses a live session', () => {
    const auth = mount();
    act(() => auth.current!.sessionEnded('the server refused the token'));
    expect(auth.current!.session).toBeNull();
    expect(auth.current!.endedBecause).toBe('the server refused the token');
  });

  it('says a password change ended it even when a refusal came first', () => {
    const auth = mount();
    act(() => auth.current!.sessionEnded('the server refused the token'));
    act(() => auth.current!.logout('password changed'));
    expect(auth.current!.endedBecause).toBe('password changed');
  });
});
