import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ActivityFeed } from '../activity/activity-feed.service.js';
import { SAMPLE_CONFIG, type SampleConfig } from '../sample-config.js';
import { LoginDto } from './login.dto.js';
import { SessionGuard } from './session.guard.js';
import { SESSION_COOKIE, signSession, type SessionUser } from './session-token.js';

/** A demo sign-in: any valid name is accepted; the point is the cookie and the guard. */
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
    private readonly activity: ActivityFeed,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() { name }: LoginDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionUser> {
    res.cookie(SESSION_COOKIE, signSession(name, this.config.sessionSecret), {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
    });
    await this.activity.record('login', `${name} signed in`);
    return { id: name };
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @UseGuards(SessionGuard)
  me(@Req() req: { user: SessionUser }): SessionUser {
    return req.user;
  }
}
