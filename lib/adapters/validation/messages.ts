import { en } from 'zod/locales';
import { config, type core } from 'zod/mini';

/**
 * The Lambda bundles validate with the tree-shakable `zod/mini` API (about 25 KB minified;
 * classic `zod` adds 440 KB to every bundle and to every cold start). It leaves messages out
 * unless a locale is configured: every schema module imports this one for English messages.
 * Import `zod/mini` as a namespace where it is used: re-exporting that namespace from here would
 * pull every part of zod (all locales, JSON Schema) back into the bundle.
 */
config(en());

/** The issues of a failed parse, as `path: message`, for logs and 400 bodies. */
export function describeIssues(error: core.$ZodError, limit = 5): string {
  return error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
