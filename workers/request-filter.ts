/**
 * The search filter of one API request: the request's own fields (Sonar's `search_domain_filter`
 * and `search_recency_filter`, or a Responses `web_search` tool's `allowed_domains`) narrowed by
 * the calling site key's default (`WIDGET_SITE_KEYS` … `"domains"`, `"recency"`). A site key's
 * widget can therefore only ever search that site's domains.
 */
import type { SearchFilter } from "../search/search-filter";
import type { Principal } from "./api-context";
import type { WorkerConfig } from "./config";
import { ApiError } from "./errors";
import { domainFilterOf, narrowFilter } from "./search-filter-schema";

/** The site key's default filter, if the caller is a site key that has one. */
function siteDefault(config: WorkerConfig, principal: Principal): SearchFilter | undefined {
  if (principal.kind !== "site-key") return undefined;
  const site = config.auth.siteKeys.get(principal.key);
  const domains = domainFilterOf(site?.domains);
  if (!domains && !site?.recency) return undefined;
  return { ...(domains ? { domains } : {}), ...(site?.recency ? { recency: site.recency } : {}) };
}

/**
 * @param param the request field named in the error when the request asks for a domain outside the site's.
 */
export function requestSearchFilter(config: WorkerConfig, principal: Principal, request: SearchFilter | undefined, param: string): SearchFilter | undefined {
  const combined = narrowFilter(siteDefault(config, principal), request);
  if (!combined.ok) throw new ApiError("invalid_body", `Invalid request body: ${param}: ${combined.message}`);
  return combined.filter;
}

/** The Sonar fields of a request body as a SearchFilter (undefined when neither is set). */
export function sonarFilter(body: {
  search_domain_filter?: string[] | null;
  search_recency_filter?: SearchFilter["recency"] | null;
}): SearchFilter | undefined {
  const domains = domainFilterOf(body.search_domain_filter);
  const recency = body.search_recency_filter ?? undefined;
  if (!domains && !recency) return undefined;
  return { ...(domains ? { domains } : {}), ...(recency ? { recency } : {}) };
}
