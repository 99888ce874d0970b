/** Types of scripts/parent-watch.mjs (plain JavaScript: it runs before dependencies exist). */
export function watchParent(onGone: (reason: string) => void, options?: { intervalMs?: number }): () => void;
