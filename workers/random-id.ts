/** Random identifiers the worker mints: ids of jobs, runs and deliveries, and unguessable feed tokens. */

/** `bytes` random bytes as lowercase hex (job and run ids). */
export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** 32 random bytes, base64url: the unguessable feed token. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
