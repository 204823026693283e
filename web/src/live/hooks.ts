import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { LiveConnection } from './connection.js';
import type { NoticeStore } from './notices.js';
import type { DeviceStore, ViewDevice } from './store.js';
import type { AreaView } from '../../../server/realtime/protocol.js';
import type { Ticker } from './ticker.js';

export interface Live {
  store: DeviceStore;
  connection: LiveConnection;
  ticker: Ticker;
  notices: NoticeStore;
}

export const LiveContext = createContext<Live | undefined>(undefined);

/** A function that re-renders the component; stable enough to subscribe once (setState never changes). */
function useBump(): () => void {
  const [, setN] = useState(0);
  return () => setN((n) => n + 1);
}

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside <LiveContext.Provider>');
  return live;
}

/** One device; the component re-renders only when this device changes. */
export function useDevice(id: string): ViewDevice | undefined {
  const { store } = useLive();
  const bump = useBump();
  const rendered = store.get(id);
  useEffect(() => {
    const off = store.onDevice(id, bump);
    // Effects run after the paint: a delta that arrived between this render and the subscription notified no one,
    // and the page kept the older value until the device's next change (seen in Chromium under load). Devices are
    // replaced, never changed in place, so a different object means a missed change.
    if (store.get(id) !== rendered) bump();
    return off;
  }, [store, id]);
  return rendered;
}

/** Re-renders when devices are added, removed, renamed or moved (not on state changes). */
export function useStructure(): ViewDevice[] {
  const { store } = useLive();
  const bump = useBump();
  useEffect(() => {
    const off = store.onStructure(bump);
    bump(); // a change between the render and the subscription (see useDevice) would otherwise be missed
    return off;
  }, [store]);
  return store.all();
}

/** Floors and rooms in their order; re-renders when they (or the devices' places) change. */
export function useAreas(): AreaView[] {
  const { store } = useLive();
  const bump = useBump();
  useEffect(() => {
    const off = store.onStructure(bump);
    bump();
    return off;
  }, [store]);
  return store.areas;
}

/**
 * A value computed from all devices, recomputed at most once per animation frame however many delta batches
 * arrive (a counter over 1,000 devices is cheap; doing it for every batch while the tab is hidden is not needed).
 */
export function useDerived<T>(compute: (devices: ViewDevice[]) => T): T {
  const { store } = useLive();
  const [value, setValue] = useState(() => compute(store.all()));
  useEffect(() => {
    let frame = 0;
    const off = store.onAny(() => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setValue(compute(store.all()));
      });
    });
    setValue(compute(store.all()));
    return () => {
      off();
      cancelAnimationFrame(frame);
    };
  }, [store]);
  return value;
}

/** The hub's clock, moving with the shared ticker: for "12 s ago" labels. */
export function useNow(): number {
  const { store, ticker } = useLive();
  const bump = useBump();
  useEffect(() => ticker.on(bump), [ticker]);
  return store.now();
}
