/**
 * What a user may say about a site, as zod schemas: the body of `POST /api/sites` and of
 * `PATCH /api/sites/:id`. Objects are strict (a misspelt field is an error), every string and list
 * has a size limit, and URLs must be absolute http(s) without credentials. The stored form is the
 * parsed spec with defaults filled in; a crawl keeps a copy of the spec it started with.
 */
import { z } from "zod";

export const MAX_SITE_BODY_BYTES = 32 * 1024;

/** A site's name: its public handle (site keys and chat scopes name it), unique in the deployment. */
export const SITE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const SITE_ID = /^site_[0-9a-f]{12}$/;

const webUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  }, "must be an absolute http(s) URL without credentials");

const pattern = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((value) => !/\s/.test(value), "must not contain spaces");

const scheduleSchema = z.strictObject({
  cron: z.string().trim().min(1).max(100),
  timezone: z.string().trim().min(1).max(64).default("UTC"),
});

export const DEFAULT_BUDGETS = { maxPages: 500, maxBytes: 50 * 1024 * 1024, maxDepth: 5 } as const;

const budgetsSchema = z.strictObject({
  /** Page requests per crawl (sitemaps and robots.txt not counted). */
  maxPages: z.number().int().min(1).max(100_000).default(DEFAULT_BUDGETS.maxPages),
  /** Body bytes read per crawl, all requests together. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024 * 1024)
    .default(DEFAULT_BUDGETS.maxBytes),
  /** Links followed from a start URL (sitemap entries are depth 0). */
  maxDepth: z.number().int().min(0).max(50).default(DEFAULT_BUDGETS.maxDepth),
});

const sitemapField = z.union([webUrl, z.array(webUrl).max(20)]).transform((value) => (typeof value === "string" ? [value] : value));

const siteFields = {
  name: z.string().trim().regex(SITE_NAME, "must be 1-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit"),
  startUrls: z.array(webUrl).max(20).default([]),
  sitemap: sitemapField.default([]),
  /** Also read the `Sitemap:` lines of each host's robots.txt. */
  robotsSitemaps: z.boolean().default(true),
  include: z.array(pattern).max(50).default([]),
  exclude: z.array(pattern).max(50).default([]),
  schedule: scheduleSchema.nullable().default(null),
  budgets: budgetsSchema.prefault({}),
};

const hasSource = (spec: { startUrls: string[]; sitemap: string[] }) => spec.startUrls.length + spec.sitemap.length > 0;
const sourceMessage = { message: "give `startUrls`, a `sitemap`, or both", path: ["startUrls"] };

export const siteSpecSchema = z.strictObject(siteFields).refine(hasSource, sourceMessage);
export type SiteSpec = z.infer<typeof siteSpecSchema>;

/** A PATCH replaces whole top-level fields; `schedule: null` stops scheduled recrawls. The name stays. */
export const sitePatchSchema = z
  .strictObject({
    startUrls: z.array(webUrl).max(20).optional(),
    sitemap: sitemapField.optional(),
    robotsSitemaps: z.boolean().optional(),
    include: z.array(pattern).max(50).optional(),
    exclude: z.array(pattern).max(50).optional(),
    schedule: scheduleSchema.nullable().optional(),
    budgets: budgetsSchema.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, "the patch is empty: give at least one field to change");
export type SitePatch = z.infer<typeof sitePatchSchema>;

export function mergeSitePatch(spec: SiteSpec, patch: SitePatch): unknown {
  const merged: Record<string, unknown> = { ...spec };
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value;
  return merged;
}
