/**
 * JSON text in the layout of Python's `json.dumps` defaults (", " and ": "
 * separators), which is how the tool calls the model learned look. Used to
 * write the assistant's tool-call turn back into the conversation.
 */

export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([key, entry]) => `${JSON.stringify(key)}: ${pythonJson(entry)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
