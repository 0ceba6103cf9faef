// One at a time per key: work under a key waits for earlier work under the same key, other
// keys run freely. The request watcher handles several mails at once, and two copies of one
// mail (the same Message-ID) must still be decided one after the other — the second then
// finds the first recorded and is filed as its duplicate.
export interface PerKeyLock {
  run<T>(key: string | null, work: () => Promise<T>): Promise<T>;
}

export function createPerKeyLock(): PerKeyLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async run(key, work) {
      if (key === null) return work();
      const before = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = before.then(() => mine);
      tails.set(key, tail);
      await before;
      try {
        return await work();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
