// `Status` bodies as the API server writes them for failures, and the error type that carries one.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: StatusBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message);
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body.details = details;
  return body;
}

export function success(details?: StatusBody['details']): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) body.details = details;
  return body;
}

/** `jobs.batch "x" not found`, the real server's wording. */
export function notFound(resource: string, name: string, group: string, kind: string): ApiError {
  return new ApiError(failure(404, 'NotFound', `${resource} "${name}" not found`, { name, group: group || undefined, kind }));
}

export function alreadyExists(resource: string, name: string, group: string, kind: string): ApiError {
  return new ApiError(failure(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, group: group || undefined, kind }));
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(failure(422, 'Invalid', `${qualified} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`, { name, group: group || undefined, kind, causes }));
}

export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}
