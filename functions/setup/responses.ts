import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type Result = APIGatewayProxyStructuredResultV2;

/**
 * A buyer page. The security headers (CSP, nosniff, referrer policy …) are added to every
 * response by the chain's `securityHeaders` middleware; pages are never cached.
 */
export function page(view: { status: number; html: string }, cookies?: string[]): Result {
  return {
    statusCode: view.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: view.html,
    ...(cookies ? { cookies } : {}),
  };
}

export function redirect(location: string, cookies?: string[]): Result {
  return {
    statusCode: 303,
    headers: { location, 'cache-control': 'no-store' },
    body: '',
    ...(cookies ? { cookies } : {}),
  };
}

export function withStatus(result: Result, statusCode: number): Result {
  return { ...result, statusCode };
}
