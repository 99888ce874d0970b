/**
 * Injected by the widget build in place of the `globalThis` global: zod keeps
 * its config at `globalThis.__zod_globalConfig`, which would be a second
 * global on the host page and would be shared with (and changeable by) a host
 * page that uses zod itself. Inside the bundle it lands on this private object.
 */
const privateScope: Record<string, unknown> = {};
export { privateScope as globalThis };
