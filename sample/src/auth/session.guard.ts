import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { SAMPLE_CONFIG, type SampleConfig } from '../sample-config.js';
import { readCookie, SESSION_COOKIE, verifySession, type SessionUser } from './session-token.js';

interface CookieRequest {
  headers: { cookie?: string };
  user?: SessionUser;
}

/**
 * Admits requests that carry a valid session cookie and sets `request.user`. EventSource sends
 * cookies of its own origin, so no header is needed; a denied stream is a plain 401 and the
 * browser stops retrying.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<CookieRequest>();
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const user = token && verifySession(token, this.config.sessionSecret);
    if (!user) throw new UnauthorizedException('Sign in first (POST /auth/login)');
    request.user = user;
    return true;
  }
}
