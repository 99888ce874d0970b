// Test double: a webhook receiver reached through the JOBS_EGRESS service
// binding. It records every request and answers by path: /ok -> 200,
// /fail -> 500, /gone -> 410, /flaky-N -> 503 for the first N requests, then 200.
// GET /__log?path=/ok returns what arrived on that path.
const received = new Map();

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__log") {
      return Response.json(received.get(url.searchParams.get("path")) ?? []);
    }
    const entries = received.get(url.pathname) ?? [];
    entries.push({
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    received.set(url.pathname, entries);
    if (url.pathname.startsWith("/ok")) return new Response("thanks");
    if (url.pathname.startsWith("/gone")) return new Response("gone", { status: 410 });
    const flaky = /^\/flaky-(\d+)/.exec(url.pathname);
    if (flaky && entries.length > Number(flaky[1])) return new Response("thanks");
    return new Response("receiver is down", { status: flaky ? 503 : 500 });
  },
};
