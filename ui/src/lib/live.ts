import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type TypedDocumentNode } from 'urql';
import { hasCode } from './errors';
import { onSocketConnected } from './client';

/**
 * While `active`, call `refetch` every `ms`: a safety net for changes a subscription has not
 * delivered yet (for example ones made between a page's query and its subscription starting).
 */
export function usePollWhile(active: boolean, refetch: () => void, ms = 3000): void {
  const ref = useRef(refetch);
  ref.current = refetch;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [active, ms]);
}

/**
 * Follow a subscription, calling `onData` for every event (each one, even several in one
 * tick). When the server says we fell behind (LAGGED) or the stream fails, call `onGap`
 * (refetch) and subscribe again; also call it whenever the socket (re)connects.
 */
export function useLive<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  onData: (data: Data) => void,
  onGap: () => void,
  pause = false,
): void {
  const client = useClient();
  const onDataRef = useRef(onData);
  const onGapRef = useRef(onGap);
  onDataRef.current = onData;
  onGapRef.current = onGap;
  const [attempt, setAttempt] = useState(0);
  const varsKey = JSON.stringify(variables);

  useEffect(() => (pause ? undefined : onSocketConnected(() => onGapRef.current())), [pause]);

  useEffect(() => {
    if (pause) return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const sub = client.subscription(query, JSON.parse(varsKey) as Variables).subscribe((result) => {
      if (result.error) {
        if (hasCode(result.error, 'UNAUTHENTICATED')) return;
        onGapRef.current();
        if (!retry) retry = setTimeout(() => setAttempt((a) => a + 1), hasCode(result.error, 'LAGGED') ? 0 : 3000);
        return;
      }
      if (result.data) onDataRef.current(result.data);
    });
    return () => {
      clearTimeout(retry);
      sub.unsubscribe();
    };
  }, [client, query, varsKey, pause, attempt]);
}

/** `value`, once it has stopped changing for `ms` (for search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * `fn`, called at most once per `ms`: a call within `ms` of the last one runs once at the end
 * of the window (for refetching on a burst of events).
 */
export function useThrottled(fn: () => void, ms: number): () => void {
  const ref = useRef(fn);
  ref.current = fn;
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      ref.current();
      return;
    }
    if (!timer.current)
      timer.current = setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        ref.current();
      }, wait);
  }, [ms]);
}
