/**
 * One engine replica as the pool sees it: a stable id (its URL origin, or `container:<n>`
 * for a Cloudflare Container instance) that the hashing uses, and a way to send it a request.
 * Built per request from the bindings (workers/engine.ts): I/O objects never outlive a request.
 */
export interface Replica {
  id: string;
  /** Sends `path` (with its query) to this replica. */
  fetch(path: string, init: RequestInit): Promise<Response>;
}
