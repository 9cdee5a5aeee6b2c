/**
 * An error the simulated service answers with, in awsJson1_1 shape: the HTTP status plus
 * `x-amzn-ErrorType: <errorType>` and `{"__type": "<errorType>", "message": "..."}`.
 * `errorType` is the bare shape name (what the SDK turns into the error's `name`).
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly errorType: string,
    message: string,
    readonly statusCode = 400,
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
