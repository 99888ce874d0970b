/**
 * The one error type for bad multimodal input (undecodable image, unsupported audio, too many parts).
 * The HTTP layer maps it to a 400 in the OpenAI error shape; `code` is a closed union so clients can branch.
 */
export type OmniInputErrorCode =
  | "invalid_image"
  | "invalid_audio"
  | "image_too_large"
  | "audio_too_long"
  | "unsupported_content"
  | "too_many_media"
  | "media_fetch_failed";

export class OmniInputError extends Error {
  readonly isOmniInputError = true;
  readonly code: OmniInputErrorCode;
  readonly param: string | null;

  constructor(code: OmniInputErrorCode, message: string, param: string | null = null) {
    super(message);
    this.name = "OmniInputError";
    this.code = code;
    this.param = param;
  }
}

export function isOmniInputError(error: unknown): error is OmniInputError {
  return typeof error === "object" && error !== null && (error as { isOmniInputError?: unknown }).isOmniInputError === true;
}
