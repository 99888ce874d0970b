/**
 * What a user may say about a job, as zod schemas: the body of
 * `POST /api/jobs` (`jobSpecSchema`) and of `PATCH /api/jobs/:id`
 * (`jobPatchSchema`). Objects are strict, so a misspelt field is an error
 * instead of being silently dropped; every string and list has a size limit.
 * The stored form of a job is the parsed spec (defaults filled in).
 */
import { z } from "zod";
import { SEARCH_PROVIDER_NAMES } from "../../search/providers/index";
import { RECENCY_WINDOWS } from "../../search/search-filter";
import { domainFilterListSchema } from "../search-filter-schema";
import { checkOutboundUrl } from "../../search/url-guard";

export const MAX_BODY_BYTES = 16 * 1024;
export const searchFreshness = RECENCY_WINDOWS;
export const digestLengths = ["short", "medium", "long"] as const;

const scheduleSchema = z.strictObject({
  cron: z.string().trim().min(1).max(100),
  timezone: z.string().trim().min(1).max(64).default("UTC"),
});

const searchSchema = z.strictObject({
  provider: z.enum(SEARCH_PROVIDER_NAMES).optional(),
  pages: z.number().int().min(1).max(10).default(5),
  freshness: z.enum(searchFreshness).optional(),
  /** Domain allow/deny list in Sonar's syntax (`"nasa.gov"`, `"-reddit.com"`), at most 20. */
  domains: domainFilterListSchema.optional(),
});

const digestSchema = z.strictObject({
  language: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as "en" or "zh-CN"')
    .default("en"),
  length: z.enum(digestLengths).default("medium"),
});

/** A webhook URL: https, and allowed by the outbound-URL guard (no private address in any spelling). */
const webhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    const verdict = checkOutboundUrl(url);
    if (!verdict.ok && verdict.rule === "invalid-url") ctx.addIssue({ code: "custom", message: "must be an absolute https:// URL" });
    else if (!verdict.ok && verdict.reason === "blocked-address")
      ctx.addIssue({ code: "custom", message: `must not point at localhost or a private address (${verdict.detail})` });
    else if (!verdict.ok) ctx.addIssue({ code: "custom", message: `must be an https:// URL (${verdict.detail})` });
    else if (verdict.url.protocol !== "https:") ctx.addIssue({ code: "custom", message: "must be an https:// URL" });
  });

const webhookSchema = z.strictObject({
  url: webhookUrlSchema,
  secret: z.string().min(16, "must be at least 16 characters").max(256),
});

const deliverySchema = z
  .strictObject({
    store: z.boolean().default(true),
    webhook: webhookSchema.optional(),
  })
  .refine((d) => d.store || d.webhook !== undefined, "choose `store: true`, a `webhook`, or both");

const nameSchema = z.string().trim().min(1).max(120);
const topicSchema = z.string().trim().min(3).max(500);
const queriesSchema = z.array(z.string().trim().min(1).max(300)).min(1).max(10);

const jobFields = {
  name: nameSchema,
  topic: topicSchema.optional(),
  queries: queriesSchema.optional(),
  schedule: scheduleSchema,
  search: searchSchema.default({ pages: 5 }),
  digest: digestSchema.default({ language: "en", length: "medium" }),
  delivery: deliverySchema.default({ store: true }),
  enabled: z.boolean().default(true),
};

const hasSubject = (j: { topic?: string | undefined; queries?: string[] | undefined }) =>
  j.topic !== undefined || (j.queries !== undefined && j.queries.length > 0);
const subjectMessage = { message: "give a `topic` or at least one entry in `queries`", path: ["topic"] };

export const jobSpecSchema = z.strictObject(jobFields).refine(hasSubject, subjectMessage);
export type JobSpec = z.infer<typeof jobSpecSchema>;

/**
 * A PATCH replaces whole top-level fields (a new `delivery` must repeat the
 * webhook secret); `null` clears `topic` or `queries`.
 */
export const jobPatchSchema = z
  .strictObject({
    name: nameSchema.optional(),
    topic: topicSchema.nullable().optional(),
    queries: queriesSchema.nullable().optional(),
    schedule: scheduleSchema.optional(),
    search: searchSchema.optional(),
    digest: digestSchema.optional(),
    delivery: deliverySchema.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "the patch is empty: give at least one field to change");
export type JobPatch = z.infer<typeof jobPatchSchema>;

/** Applies a validated patch; the result must pass `jobSpecSchema` again. */
export function mergePatch(spec: JobSpec, patch: JobPatch): unknown {
  const merged: Record<string, unknown> = { ...spec };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}
