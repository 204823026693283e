import { useEffect, useState } from 'preact/hooks';
import type { StateValue } from '../../../server/core/model.js';
import { useLive } from '../live/hooks.js';

/**
 * Sends commands for one device: shows them pending at once (the hub's own pending state follows within 100 ms),
 * and keeps the last refusal to show beside the control for a few seconds.
 */
export function useCommand(deviceId: string): { send: (property: string, value: StateValue) => void; error?: string } {
  const { connection, store } = useLive();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => setError(undefined), 6000);
    return () => clearTimeout(timer);
  }, [error]);
  const send = (property: string, value: StateValue): void => {
    setError(undefined);
    store.sent(deviceId, property, { value, since: store.now(), cause: { kind: 'user', id: connection.user?.username } });
    void connection.command({ deviceId, property, value }).then((ack) => {
      if (ack.ok) return;
      store.sent(deviceId, property, null);
      setError(ack.message);
    });
  };
  return { send, error };
}
