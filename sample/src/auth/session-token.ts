import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'sample_session';

/** Who a request belongs to, as `SessionGuard` sets it on `request.user`. */
export interface SessionUser {
  /** The user name; the library reads `request.user.id` as the connection's user id. */
  readonly id: string;
}

/** `<name>.<hmac>`: the name is public, the signature proves this server issued it. */
export function signSession(name: string, secret: string): string {
  return `${name}.${mac(name, secret)}`;
}

/** The user a token names, or undefined if it was not signed with `secret`. */
export function verifySession(token: string, secret: string): SessionUser | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(name, secret));
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? { id: name }
    : undefined;
}

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function mac(name: string, secret: string): string {
  return createHmac('sha256', secret).update(name).digest('base64url');
}
