// A recording fake `fetch` for provider tests: each expected request is matched in order and
// answered with a canned Response; anything unexpected fails the test instead of reaching a network.
export interface RecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

export interface FakeFetch {
  fetch: typeof fetch;
  requests: RecordedRequest[];
}

export function fakeFetch(respond: (request: RecordedRequest) => Response | Promise<Response>): FakeFetch {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const body = typeof init?.body === "string" ? init.body : undefined;
    const request: RecordedRequest = { url, method: init?.method ?? "GET", headers: new Headers(init?.headers), body };
    requests.push(request);
    if (init?.signal?.aborted) throw new DOMException("aborted", "AbortError");
    return respond(request);
  };
  return { fetch: fetchImpl, requests };
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
