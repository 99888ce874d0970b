/**
 * Turns fetched bytes into text the way browsers do, in their order of precedence: a byte-order mark,
 * then the HTTP `Content-Type` charset, then a `<meta charset>` / `<meta http-equiv>` declaration in
 * the first 4 KiB, else UTF-8. Labels go through `TextDecoder`, which knows the WHATWG encodings
 * (GBK/GB2312/GB18030, Big5, Shift_JIS, EUC-KR, windows-125x ...) in Node (full ICU) and in workerd.
 * Unknown labels fall back to UTF-8 rather than failing the page.
 */

export interface DecodedText {
  text: string;
  /** The WHATWG encoding name actually used, e.g. "utf-8", "gbk", "big5". */
  charset: string;
  source: "bom" | "header" | "meta" | "default";
}

const META_PRESCAN_BYTES = 4096;

/** A decoder for `label`, or undefined when the runtime does not know that encoding. */
function decoderFor(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label.trim().toLowerCase());
  } catch {
    return undefined;
  }
}

function bomCharset(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return undefined;
}

/** The `charset=` parameter of a Content-Type header value. */
export function charsetFromContentType(contentType: string | undefined | null): string | undefined {
  if (!contentType) return undefined;
  const match = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType);
  return match?.[1];
}

/** Finds a charset declared in the document head (`<meta charset>` or http-equiv Content-Type). */
export function charsetFromMeta(bytes: Uint8Array): string | undefined {
  // Latin-1 maps every byte to one code unit, so ASCII markup survives whatever the real encoding is.
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, META_PRESCAN_BYTES));
  const direct = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  return direct?.[1];
}

function decodeWith(bytes: Uint8Array, label: string): { text: string; charset: string } | undefined {
  const decoder = decoderFor(label);
  if (!decoder) return undefined;
  // A UTF-16 declaration inside an ASCII-compatible document is a lie the HTML spec overrides.
  const charset = decoder.encoding;
  return { text: decoder.decode(bytes), charset };
}

/** Decodes an HTML or text body; `contentType` is the HTTP header value when there is one. */
export function decodeHtmlBytes(bytes: Uint8Array, contentType: string | undefined | null): DecodedText {
  const bom = bomCharset(bytes);
  if (bom) {
    const decoded = decodeWith(bytes, bom);
    if (decoded) return { ...decoded, source: "bom" };
  }
  const fromHeader = charsetFromContentType(contentType);
  if (fromHeader) {
    const decoded = decodeWith(bytes, fromHeader);
    if (decoded) return { ...decoded, source: "header" };
  }
  const fromMeta = charsetFromMeta(bytes);
  if (fromMeta && !/^utf-?16/i.test(fromMeta)) {
    const decoded = decodeWith(bytes, fromMeta);
    if (decoded) return { ...decoded, source: "meta" };
  }
  return { text: new TextDecoder("utf-8").decode(bytes), charset: "utf-8", source: "default" };
}
