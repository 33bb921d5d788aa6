// The one error shape every response uses: {"error":{"type","code","message","param"}}.
// Handlers throw ApiError; the edge renders it. Anything else becomes a bare 500 with no internals.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_error'
  | 'idempotency_error'
  | 'card_error'
  | 'api_error';

export interface ErrorBody {
  error: { type: ErrorType; code: string; message: string; param: string | null; [extra: string]: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    /** Extra fields merged into the error object (e.g. decline_code, payment_id). */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
  body(): ErrorBody {
    return { error: { type: this.type, code: this.code, message: this.message, param: this.param, ...this.extra } };
  }
}

export const badRequest = (code: string, message: string, param: string | null = null) =>
  new ApiError(400, 'invalid_request_error', code, message, param);
export const notFound = (what: string, param: string | null = null) =>
  new ApiError(404, 'invalid_request_error', 'resource_missing', `No such ${what}`, param);
export const unauthorized = (code: string, message: string) => new ApiError(401, 'authentication_error', code, message);

/** The body for an unexpected failure: nothing about the cause leaves the process. */
export const internalError = () => new ApiError(500, 'api_error', 'internal_error', 'An internal error occurred; it was logged');

/** HTTP reason phrases uWS needs in writeStatus. */
export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
}
