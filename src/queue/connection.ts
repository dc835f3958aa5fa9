// Redis connections from a URL: redis://[user[:password]@]host[:port][/db] and rediss:// (TLS).
// The password may also come from SPPO_REDIS_PASSWORD (so it is not on a command line). It is
// never printed: redactURL() is what logs, errors and `sppo queue status` show.
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { redactURL, type RedisConnection } from './url.js';

export { redactURL, type RedisConnection };

export interface RedisTarget {
  /** ioredis options (host, port, db, username, password, tls) */
  options: RedisOptions;
  /** the URL without its password, for messages */
  shown: string;
}

/** a Redis target from a URL, or options given directly (library use) */
export function redisTarget(redis: string | RedisConnection): RedisTarget {
  if (typeof redis !== 'string') {
    const o: RedisOptions = { ...redis, tls: redis.tls === true ? {} : redis.tls || undefined };
    return { options: o, shown: `redis${o.tls ? 's' : ''}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}${o.db ? '/' + o.db : ''}` };
  }
  let u: URL;
  try { u = new URL(redis); } catch { throw new Error(`sppo queue: "${redactURL(redis)}" is not a URL: give redis://HOST:PORT or rediss://HOST:PORT (TLS)`); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`sppo queue: ${redactURL(redis)} must start with redis:// or rediss:// (TLS)`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`sppo queue: ${redactURL(redis)}: the path must be a database number (/0, /1 ...)`);
  const password = u.password ? decodeURIComponent(u.password) : process.env.SPPO_REDIS_PASSWORD || undefined;
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password,
    // rediss://: TLS, the server's certificate checked against the system's CAs (NODE_EXTRA_CA_CERTS adds one)
    // (an IP address is checked against the certificate's IP names; SNI takes host names only)
    tls: u.protocol === 'rediss:' ? (net.isIP(u.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: u.hostname }) : undefined,
  };
  return { options, shown: redactURL(redis) };
}

/**
 * Connection options for BullMQ and our own clients: commands wait for a reconnect instead of
 * failing (maxRetriesPerRequest: null, which BullMQ's workers need), reconnect every ≤ 1 s.
 */
export function connectionOptions(t: RedisTarget, name: string): BullRedisOptions {
  return {
    ...(t.options as BullRedisOptions),
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
}

/** a plain ioredis client (policy chunks, status), errors passed to `onError` instead of printed */
export function redisClient(t: RedisTarget, name: string, onError: (e: Error) => void = () => {}): Redis {
  const r = new Redis(connectionOptions(t, name) as RedisOptions);
  r.on('error', onError);
  return r;
}

const isAuthError = (e: Error) => /NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(e.message);
const isTLSError = (e: unknown) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(String((e as { code?: unknown })?.code ?? '')) || /self[- ]signed certificate|certificate/i.test(e instanceof Error ? e.message : '');

/** the message of a connection error without anything that could hold a password */
export function connectionProblem(e: unknown, t: RedisTarget): string {
  const msg = e instanceof Error ? e.message : String(e);
  const pw = t.options.password;
  const clean = pw ? msg.split(pw).join('***') : msg;
  if (isTLSError(e)) return `Redis at ${t.shown}: its TLS certificate is not trusted (${clean}): give Node its CA with NODE_EXTRA_CA_CERTS=ca.pem`;
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(clean)) return `Redis at ${t.shown} refused the password (${clean}): give the right one in the URL (redis://:PASSWORD@HOST:PORT) or SPPO_REDIS_PASSWORD`;
  return `Redis at ${t.shown}: ${clean}`;
}



/**
 * Resolves when `r` is connected; rejects at once on a refused password, or after `ms` without
 * a connection, with one message naming the server (never the password) and the fix.
 */
export function waitReady(r: Redis, t: RedisTarget, ms: number, what: string): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: Error | null = null;
    const done = (e: Error | null) => {
      clearTimeout(timer);
      r.off('ready', onReady);
      r.off('error', onError);
      if (e) reject(e); else resolve();
    };
    const onReady = () => done(null);
    const onError = (e: Error) => {
      last = e;
      if (isAuthError(e) || isTLSError(e)) { r.disconnect(); done(new Error(`${what}: ${connectionProblem(e, t)}`)); }
    };
    const timer = setTimeout(() => done(new Error(`${what}: ${connectionProblem(last ?? new Error(`no connection within ${ms / 1000} s`), t)}: start the Redis server or check the URL`)), ms);
    r.on('ready', onReady);
    r.on('error', onError);
  });
}
