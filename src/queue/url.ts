// Redis locations as users give them, without any Redis library's types (the package's public
// types stay free of ioredis/bullmq declarations).

/** a Redis server given as fields instead of a URL */
export interface RedisConnection {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** TLS: true, or Node tls.connect options (ca, servername, ...) */
  tls?: boolean | Record<string, unknown>;
}

/** the URL with any password replaced by *** (also for strings that are not valid URLs) */
export function redactURL(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string, auth: string) => {
    const i = auth.indexOf(':');
    return `${scheme}${i < 0 ? '' : auth.slice(0, i)}${i < 0 ? '***' : ':***'}@`;
  });
}
