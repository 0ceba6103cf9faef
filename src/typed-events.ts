// A minimal typed event hub for lifecycle events. Not Node's EventEmitter on purpose: an
// 'error' event without a listener must not crash the daemon, and a throwing listener must
// not break the loop that emitted the event.
export type Listener<Args extends unknown[]> = (...args: Args) => void;

export interface TypedEvents<Events extends { [K in keyof Events]: unknown[] }> {
  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void;
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void;
}

export function createTypedEvents<Events extends { [K in keyof Events]: unknown[] }>(
  onListenerError: (event: string, err: unknown) => void,
): TypedEvents<Events> {
  // Stored loosely typed; `on` and `emit` keep each event's listeners and arguments matched.
  const listeners = new Map<keyof Events, Set<(...args: unknown[]) => void>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      const stored = listener as unknown as (...args: unknown[]) => void;
      set.add(stored);
      listeners.set(event, set);
      return () => set.delete(stored);
    },
    emit(event, ...args) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          listener(...args);
        } catch (err) {
          onListenerError(String(event), err);
        }
      }
    },
  };
}
