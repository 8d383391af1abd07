/**
 * The typed errors that use cases and the route helper throw. Pure: they say what went wrong in
 * words a person can act on, and which fields; the web process maps each class to an HTTP status
 * in one place (app/_server/api-route.ts). Anything else that is thrown is an internal failure: it is
 * logged, and the client only hears that something went wrong on our side.
 */

/** Field name (dotted for nested fields, e.g. `filters.region`) → one message. */
export type FieldErrors = Record<string, string>;

/** Base of the errors whose message may be shown to the client as it is. */
export abstract class PulseError extends Error {
  constructor(
    message: string,
    /** Messages per field, for forms that show them beside the field. */
    public readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input breaks a rule (HTTP 400). */
export class InvalidInputError extends PulseError {}

/** Nobody is signed in, or the credentials are wrong (HTTP 401). */
export class UnauthorizedError extends PulseError {
  constructor(message = 'Sign in first.') {
    super(message);
  }
}

/** Signed in, but not allowed to do this; or a cross-site request (HTTP 403). */
export class ForbiddenError extends PulseError {}

/** The thing the request names does not exist (HTTP 404). */
export class NotFoundError extends PulseError {}

/** The request is fine but the current state does not allow it (HTTP 409). */
export class ConflictError extends PulseError {}

/** The request body is larger than the route accepts (HTTP 413). */
export class PayloadTooLargeError extends PulseError {
  constructor(message = 'The request body is too large.') {
    super(message);
  }
}

/** The request body is not in a format the route reads (HTTP 415). */
export class UnsupportedMediaTypeError extends PulseError {
  constructor(message = 'Send the body as application/json.') {
    super(message);
  }
}

/** Too many attempts: try again after `retryAfterSeconds` (HTTP 429 with Retry-After). */
export class TooManyRequestsError extends PulseError {
  constructor(
    message: string,
    public readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
