/**
 * The subset of zod's classic API (`z.object(...).optional()`, `.int()`, …)
 * that `agent/events.ts` uses, built on `zod/mini`. The widget build aliases
 * `zod` to this file so the widget validates events with the very schema
 * definition the agent emits from, at about 8 KB gzipped instead of the ~90 KB
 * that classic zod adds to the bundle. Validation itself is zod's core, so the
 * two accept and reject the same inputs; test/browser/event-schema-shim.test.ts
 * checks that on valid and invalid events. A builder that events.ts starts
 * using and this file lacks fails that test and the build's self-check.
 */
import * as mini from "zod/mini";

type MiniSchema = mini.ZodMiniType;

/** A zod/mini schema with the classic chain methods the contract files use. */
export type ChainSchema = MiniSchema & {
  optional(): ChainSchema;
  nullable(): ChainSchema;
  int(): ChainSchema;
  positive(): ChainSchema;
  nonnegative(): ChainSchema;
  min(value: number): ChainSchema;
  max(value: number): ChainSchema;
  regex(pattern: RegExp, message?: string): ChainSchema;
};

function chain(schema: MiniSchema): ChainSchema {
  const withCheck = (check: mini.core.$ZodCheck<never>) => chain(schema.check(check as mini.core.$ZodCheck<unknown>));
  const isString = schema._zod.def.type === "string";
  return Object.assign(schema, {
    optional: () => chain(mini.optional(schema)),
    nullable: () => chain(mini.nullable(schema)),
    int: () => withCheck(mini.int()),
    positive: () => withCheck(mini.positive()),
    nonnegative: () => withCheck(mini.nonnegative()),
    min: (value: number) => withCheck(isString ? mini.minLength(value) : mini.gte(value)),
    max: (value: number) => withCheck(isString ? mini.maxLength(value) : mini.lte(value)),
    regex: (pattern: RegExp, message?: string) => withCheck(mini.regex(pattern, message)),
  });
}

type Shape = Record<string, MiniSchema>;

// The `as` casts below only bridge the classic signatures (any schema) to
// zod/mini's narrower generic parameters; they validate nothing and change
// nothing at run time. The types callers see come from classic zod anyway.

export const z = {
  string: () => chain(mini.string()),
  number: () => chain(mini.number()),
  boolean: () => chain(mini.boolean()),
  unknown: () => chain(mini.unknown()),
  literal: (value: string | number | boolean) => chain(mini.literal(value)),
  enum: (values: readonly [string, ...string[]]) => chain(mini.enum(values)),
  array: (element: MiniSchema) => chain(mini.array(element)),
  object: (shape: Shape) => chain(mini.object(shape)),
  record: (key: MiniSchema, value: MiniSchema) => chain(mini.record(key as mini.core.$ZodRecordKey, value)),
  discriminatedUnion: (key: string, options: readonly mini.ZodMiniObject[]) =>
    chain(mini.discriminatedUnion(key, options as [mini.ZodMiniObject, ...mini.ZodMiniObject[]])),
};
