/**
 * The site scope of a chat request: which crawled sites an answer may come from.
 * - The chat APIs' `search` field takes, besides a mode string, `{"mode"?, "sites": [...]}` (names
 *   or ids). With an API key (or an open API) each named site must belong to that key: another
 *   key's site answers 404 like one that does not exist.
 * - A widget site key configured with `"sites"` (WIDGET_SITE_KEYS) always answers from those sites;
 *   its page may narrow them (`sites` naming a subset), never widen them.
 * A scoped answer searches only the site index (the `site` provider), never the web.
 */
import { z } from "zod";
import { searchModeSchema } from "../../agent/config";
import type { SearchMode } from "../../agent/run-agent";
import type { Principal } from "../api-context";
import type { WorkerConfig } from "../config";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { ownerOf } from "../owner";
import { SiteRegistry } from "./site-registry";

/** The chat APIs' `search` field: a mode, or a mode with a site scope. */
export const searchFieldSchema = z.union([
  searchModeSchema,
  z.strictObject({
    mode: searchModeSchema.optional(),
    sites: z.array(z.string().trim().min(1).max(80)).min(1).max(20).optional(),
  }),
]);
export type SearchField = z.infer<typeof searchFieldSchema>;

export interface SearchRequest {
  mode?: SearchMode;
  sites?: string[];
}

export function readSearchField(field: SearchField | undefined): SearchRequest {
  if (field === undefined) return {};
  if (typeof field === "string") return { mode: field };
  return { ...(field.mode ? { mode: field.mode } : {}), ...(field.sites ? { sites: field.sites } : {}) };
}

const noSite = (name: string) => new ApiError("not_found", `No site ${name}.`);

/**
 * Site ids the answer is limited to, or undefined for the configured search provider.
 * @throws ApiError not_found for a site the caller may not use (or that does not exist).
 */
export async function resolveSiteScope(
  env: Env,
  config: WorkerConfig,
  principal: Principal,
  requested: readonly string[] | undefined,
): Promise<string[] | undefined> {
  const registry = new SiteRegistry(env.SITE_INDEX);
  if (principal.kind === "site-key") {
    const configured = config.auth.siteKeys.get(principal.key)?.sites;
    if (!configured) {
      if (requested) throw noSite(requested[0] ?? "");
      return undefined;
    }
    const sites = await Promise.all(
      configured.map(async (name) => {
        const site = await registry.get(null, name);
        if (!site) throw new ApiError("not_found", `The site ${name} named by this site key does not exist (yet).`);
        return site;
      }),
    );
    if (!requested) return sites.map((site) => site.id);
    return requested.map((name) => {
      const site = sites.find((candidate) => candidate.id === name || candidate.name === name);
      if (!site) throw noSite(name);
      return site.id;
    });
  }
  if (!requested) return undefined;
  const owner = ownerOf(principal, "sites");
  const ids = await Promise.all(
    requested.map(async (name) => {
      const site = await registry.get(owner, name);
      if (!site) throw noSite(name);
      return site.id;
    }),
  );
  return [...new Set(ids)];
}
