/**
 * The widget's options, from the embedding `<script data-*>` attributes or
 * from `MegrezChat.init({...})`, validated once here. The API origin defaults
 * to the origin the script was loaded from, so the widget always talks to the
 * worker that served it.
 */
import * as z from "zod/mini";

const optionsSchema = z.object({
  siteKey: z.string().check(z.minLength(1)),
  apiOrigin: z.string().check(z.minLength(1)),
  title: z._default(z.string(), "Ask us"),
  accent: z._default(z.string().check(z.regex(/^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/)), "#2563eb"),
  position: z._default(z.enum(["bottom-right", "bottom-left"]), "bottom-right"),
  locale: z._default(z.string(), "en"),
  theme: z._default(z.enum(["auto", "light", "dark"]), "auto"),
  open: z._default(z.boolean(), false),
  /** Where the widget mounts; defaults to document.body. */
  container: z.optional(z.custom<HTMLElement>((value) => value instanceof HTMLElement)),
});

export type WidgetOptions = z.infer<typeof optionsSchema>;
export type WidgetOptionsInput = z.input<typeof optionsSchema>;

export type OptionsResult = { ok: true; value: WidgetOptions } | { ok: false; error: string };

export function parseOptions(input: unknown): OptionsResult {
  const parsed = optionsSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "options").join(", ");
  return { ok: false, error: `MegrezChat: invalid options (${fields}).` };
}

/** Options from a script tag's data attributes; absent attributes keep defaults. */
export function optionsFromScript(script: HTMLScriptElement): Record<string, unknown> {
  const data = script.dataset;
  const options: Record<string, unknown> = { apiOrigin: new URL(script.src, location.href).origin };
  const copy: Array<[string, string | undefined]> = [
    ["siteKey", data.siteKey],
    ["title", data.title],
    ["accent", data.accent],
    ["position", data.position],
    ["locale", data.locale ?? document.documentElement.lang],
    ["theme", data.theme],
  ];
  for (const [key, value] of copy) if (value) options[key] = value;
  if (data.open === "true") options.open = true;
  return options;
}
