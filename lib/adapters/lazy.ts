/**
 * A value built on first use and shared after: for adapters a request path may never need,
 * whose modules are loaded with `import()` so that a cold start does not evaluate them (the
 * bundler keeps them in the file but wraps them to run only when imported). A failed build is
 * not cached, so the next call tries again.
 */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
