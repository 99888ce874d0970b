/**
 * Remembers the conversation's session id in localStorage so the chat
 * survives page reloads. Keyed by API origin and site key; storage that
 * throws (blocked cookies, sandboxed frames) degrades to memory only.
 */
export interface SessionStore {
  get(): string | undefined;
  set(sessionId: string): void;
  clear(): void;
}

export function createSessionStore(input: { storage: Storage | undefined; apiOrigin: string; siteKey: string }): SessionStore {
  const key = `megrez-chat:${input.apiOrigin}:${input.siteKey}:session`;
  let memory: string | undefined;
  const attempt = (action: (storage: Storage) => void) => {
    try {
      if (input.storage) action(input.storage);
    } catch {
      // Storage unavailable: the in-memory copy still serves this page view.
    }
  };
  attempt((storage) => {
    memory = storage.getItem(key) ?? undefined;
  });
  return {
    get: () => memory,
    set(sessionId) {
      memory = sessionId;
      attempt((storage) => storage.setItem(key, sessionId));
    },
    clear() {
      memory = undefined;
      attempt((storage) => storage.removeItem(key));
    },
  };
}
