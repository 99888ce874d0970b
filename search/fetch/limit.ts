/**
 * A counting semaphore: at most `limit` requests in flight per fetcher. Workers allow six
 * simultaneous outgoing connections per invocation; queueing here keeps us under that instead of
 * letting the runtime stall or cancel the seventh.
 */

export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
}

export function createLimiter(limit: number): Limiter {
  const capacity = Math.max(1, Math.floor(limit));
  const waiting: Array<() => void> = [];
  let active = 0;
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    get active() {
      return active;
    },
    async run(task) {
      if (active < capacity) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
