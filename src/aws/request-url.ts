/**
 * The URL a request was sent to, remembered on its error or output (a non-enumerable symbol): the AWS
 * CLI names it in network errors ("Could not connect to the endpoint URL: ...").
 */
const REQUEST_URL = Symbol('trailproof.requestUrl');

interface UrlParts {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  query?: Record<string, string | string[] | null>;
}

/** Remembers on a failure the URL it was sent to: the AWS CLI names it in network errors. */
export function recordRequestUrl(client: { middlewareStack: { add(mw: unknown, options: { step: 'build'; name: string; override: boolean }): void } }): void {
  const middleware =
    (next: (args: { request: unknown }) => Promise<unknown>) =>
    async (args: { request: unknown }): Promise<unknown> => {
      let result: unknown;
      try {
        result = await next(args);
      } catch (err) {
        tagUrl(err, urlOf(args.request as UrlParts));
        throw err;
      }
      // Also on the output: a streamed body can still fail after the response has arrived.
      tagUrl((result as { output?: unknown } | undefined)?.output, urlOf(args.request as UrlParts));
      return result;
    };
  client.middlewareStack.add(middleware, { step: 'build', name: 'trailproofRequestUrl', override: true });
}

/** Records `url` on an error or output, unless one is recorded already (the first one wins). */
export function tagUrl(target: unknown, url: string | undefined): void {
  if (url !== undefined && typeof target === 'object' && target !== null && !(REQUEST_URL in target)) {
    Object.defineProperty(target, REQUEST_URL, { value: url, enumerable: false });
  }
}

/** The URL recorded by recordRequestUrl or tagUrl on an error or an output, if any. */
export function requestUrlOf(target: unknown): string | undefined {
  return typeof target === 'object' && target !== null ? (target as { [REQUEST_URL]?: string })[REQUEST_URL] : undefined;
}

function urlOf(r: UrlParts): string | undefined {
  if (typeof r !== 'object' || r === null || !r.hostname) return undefined;
  const port = r.port ? `:${r.port}` : '';
  const query = Object.entries(r.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : [[k, v] as const]))
    .map(([k, v]) => (v === null || v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
  return `${r.protocol ?? 'https:'}//${r.hostname}${port}${r.path ?? '/'}${query ? `?${query}` : ''}`;
}
