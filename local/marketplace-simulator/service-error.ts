/**
 * An error the simulated service answers with: the HTTP status plus
 * `x-amzn-ErrorType: <errorType>` and `{"__type": "<errorType>", "message": "...", ...members}`.
 * `errorType` is the bare shape name (what the SDK turns into the error's `name`); the
 * awsJson1_0 Agreement API prefixes `__type` with its namespace (see protocol.ts).
 * `members` are the error shape's own fields (`reason`, `resourceId`, …), sent beside `message`.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly errorType: string,
    message: string,
    readonly statusCode = 400,
    readonly members: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string): ServiceError =>
  new ServiceError('InvalidParameterException', message);

export const throttling = (): ServiceError =>
  new ServiceError('ThrottlingException', 'Rate exceeded (injected by the marketplace simulator)');

export const internalServiceError = (): ServiceError =>
  new ServiceError(
    'InternalServiceErrorException',
    'An internal error has occurred (injected by the marketplace simulator)',
    500,
  );

// ---- Agreement API (AWSMPCommerceService_v20200301) errors ----

/** `reason` takes the model's ValidationExceptionReason values (INVALID_FILTER_NAME, INVALID_MAX_RESULTS, …). */
export const validation = (message: string, reason: string, field?: string): ServiceError =>
  new ServiceError('ValidationException', message, 400, {
    reason,
    ...(field === undefined ? {} : { fields: [{ name: field, message }] }),
  });

export const resourceNotFound = (agreementId: string): ServiceError =>
  new ServiceError('ResourceNotFoundException', `Agreement ${agreementId} was not found.`, 404, {
    resourceId: agreementId,
    resourceType: 'Agreement',
  });

export const accessDenied = (message: string): ServiceError =>
  new ServiceError('AccessDeniedException', message, 403, { reason: 'INVALID_ACCESS' });

export const agreementThrottling = (message: string): ServiceError =>
  new ServiceError('ThrottlingException', message);

export const internalServer = (): ServiceError =>
  new ServiceError(
    'InternalServerException',
    'An internal error has occurred (injected by the marketplace simulator)',
    500,
  );
