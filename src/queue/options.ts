// The queue's public option types and helpers, free of ioredis/bullmq imports (see
// RedisConnectionOptions), so that sppo's declarations never pull in those libraries' own.

/**
 * Redis connection options for library callers (passed on to ioredis as they are). Declared here,
 * not imported from ioredis, so that sppo's public types compile for users whose TypeScript
 * checks libraries (skipLibCheck false): ioredis's own declarations import an untyped module.
 */
export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  /** TLS options (node:tls ConnectionOptions), e.g. {servername, ca} */
  tls?: Record<string, unknown>;
  /** any other ioredis option */
  [option: string]: unknown;
}

/** the URL with any password replaced by *** (also for strings that are not valid URLs) */
export function redactURL(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string, auth: string) => {
    const i = auth.indexOf(':');
    return `${scheme}${i < 0 ? '' : auth.slice(0, i)}${i < 0 ? '***' : ':***'}@`;
  });
}
