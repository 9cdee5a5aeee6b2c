import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type SetupEvent, type SetupResult, setupMiddlewares, setupRouter } from './create-handler.js';
import { setupDependencies } from './dependencies.js';

// Built once per cold start; a wrong configuration fails here, before any buyer is served.
const options = setupDependencies();

/** The middy chain: logContext → header normalizer → security headers → error pages, then the router. */
export const handler = middy<SetupEvent, SetupResult, Error, Context>()
  .use(setupMiddlewares(options))
  .handler(setupRouter(options));
