// Job webhooks go through the one outbound-URL guard, inside workerd: every private spelling of the guard's table is
// refused by the job schema, the API answers 400 (never 500) for the examples and for text that is no URL,
// and a delivery to a URL stored before a rule existed is refused at send time without a request.
import { afterEach, describe, expect, it } from "vitest";
import { jobSpecSchema } from "../../../workers/jobs/job-spec";
import { sendWebhook } from "../../../workers/jobs/webhook";
import { NOT_FETCHABLE, REFUSED_URLS } from "../../node/url-guard/guard-table";
import { api } from "./support/api";

const base = { name: "Hooks", topic: "edge runtime news", schedule: { cron: "0 8 * * 1" } };
const withHook = (url: string) => ({ ...base, delivery: { webhook: { url, secret: "0123456789abcdef" } } });
const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await api(`/api/jobs/${id}`, { method: "DELETE" });
});

describe("webhook URLs and the outbound-URL guard", () => {
  it("refuses every private spelling of the guard's table (as https URLs)", () => {
    const accepted = REFUSED_URLS.map((url) => url.replace(/^http:/, "https:")).filter((url) => jobSpecSchema.safeParse(withHook(url)).success);
    expect(accepted).toEqual([]);
  });

  it.each([
    "https://localhost./",
    "https://[::127.0.0.1]/",
    "https://[fea0::1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:a9fe:a9fe::1]/",
    "https://100.64.0.1/",
    "https://metadata/",
    "https://127.0.0.1.nip.io/",
    "https://router.lan/",
  ])("answers 400 for %s", async (url) => {
    const res = await api("/api/jobs", { method: "POST", json: withHook(url) });
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(res.status).toBe(400);
    expect(body.error.message).toMatch(/delivery\.webhook\.url: must not point at localhost or a private address/);
  });

  it.each(NOT_FETCHABLE)("answers 400, not 500, for the unusable URL %j", async (url) => {
    const res = await api("/api/jobs", { method: "POST", json: withHook(url) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/delivery\.webhook\.url/);
  });

  it("still accepts a public https webhook", async () => {
    const res = await api("/api/jobs", { method: "POST", json: withHook("https://hooks.example.com/digest") });
    expect(res.status).toBe(201);
    created.push(((await res.json()) as { id: string }).id);
  });

  it("refuses at send time a stored URL that today's rules refuse, for good and without a request", async () => {
    const sent: string[] = [];
    const attempt = (url: string) =>
      sendWebhook({
        url,
        secret: "0123456789abcdef",
        deliveryId: "dlv_1",
        event: "digest.created",
        payload: "{}",
        now: Date.now(),
        timeoutMs: 1000,
        fetch: async (request) => {
          sent.push(request.url);
          return new Response(null, { status: 204 });
        },
      });
    for (const url of ["https://127.0.0.1.nip.io/hook", "https://[::ffff:0:a9fe:a9fe]/", "https://router.lan/", "http://hooks.example.com/", "not a url"]) {
      expect(await attempt(url)).toMatchObject({ ok: false, httpStatus: null, retryable: false, error: expect.stringMatching(/outbound-URL guard/) });
    }
    expect(sent).toEqual([]);
    expect(await attempt("https://hooks.example.com/digest")).toEqual({ ok: true, httpStatus: 204 });
  });
});
