/**
 * The zod form of the search filter, shared by every entry that accepts one: the Sonar fields of
 * `/v1/chat/completions`, the `web_search` tool of `/v1/responses`, a site key's default filter
 * (`WIDGET_SITE_KEYS`) and a job's `search`. The list keeps its strings (a stored job re-validates
 * them); `domainFilterOf` turns a validated list into the parsed rules.
 */
import { z } from "zod";
import { MAX_DOMAIN_FILTER_ENTRIES, parseDomainFilter, RECENCY_WINDOWS, type DomainFilter, type DomainRule, type SearchFilter } from "../search/search-filter";

/** `["nasa.gov", "-reddit.com", "https://en.wikipedia.org/wiki/Chess"]`: at most 20, each a domain or an http(s) URL, `-` to exclude. */
export const domainFilterListSchema = z
  .array(z.string().max(300))
  .max(MAX_DOMAIN_FILTER_ENTRIES, { message: `at most ${MAX_DOMAIN_FILTER_ENTRIES} entries` })
  .superRefine((entries, ctx) => {
    const parsed = parseDomainFilter(entries);
    if (!parsed.ok) ctx.addIssue({ code: "custom", path: [parsed.index], message: parsed.message });
  });

export const recencySchema = z.enum(RECENCY_WINDOWS, { message: `expected one of ${RECENCY_WINDOWS.join(", ")}` });

/** The parsed rules of a list that passed `domainFilterListSchema` (undefined for an empty list). */
export function domainFilterOf(entries: readonly string[] | null | undefined): DomainFilter | undefined {
  if (!entries || entries.length === 0) return undefined;
  const parsed = parseDomainFilter(entries);
  if (!parsed.ok) throw new Error(`domain filter was not validated: ${parsed.message}`);
  return parsed.filter;
}

/**
 * Combines a caller's filter with a default one (a site key's): the caller may narrow the default,
 * never widen it. The caller's allow rules must fall inside the default's allow rules (else the
 * result says which one does not); deny lists add up; the caller's recency wins.
 */
export function narrowFilter(
  base: SearchFilter | undefined,
  request: SearchFilter | undefined,
): { ok: true; filter: SearchFilter | undefined } | { ok: false; message: string } {
  if (!base || !request) return { ok: true, filter: request ?? base };
  const baseDomains = base.domains;
  const requestDomains = request.domains;
  let domains = requestDomains ?? baseDomains;
  if (baseDomains && requestDomains) {
    const within = (rule: DomainRule) =>
      baseDomains.allow.length === 0 ||
      baseDomains.allow.some(
        (allowed) =>
          (rule.host === allowed.host || rule.host.endsWith(`.${allowed.host}`)) && (allowed.path === undefined || (rule.path ?? "").startsWith(allowed.path)),
      );
    const outside = requestDomains.allow.find((rule) => !within(rule));
    if (outside) return { ok: false, message: `${outside.host}${outside.path ?? ""} is outside the domains this site key answers from` };
    domains = { allow: requestDomains.allow.length === 0 ? baseDomains.allow : requestDomains.allow, deny: [...baseDomains.deny, ...requestDomains.deny] };
  }
  const recency = request.recency ?? base.recency;
  return { ok: true, filter: { ...(domains ? { domains } : {}), ...(recency ? { recency } : {}) } };
}
