import { describe, expect, it } from '@jest/globals';
import { safeUrl, SseClientMessages } from './client.messages.js';

describe('client messages', () => {
  it('leave query strings and fragments out of URLs', () => {
    expect(safeUrl('https://api.example.com/events?token=secret')).toBe(
      'https://api.example.com/events?...',
    );
    expect(safeUrl('/events#token=secret')).toBe('/events?...');
    expect(safeUrl('/events/rooms/42')).toBe('/events/rooms/42');
  });

  it('quote a shortened body excerpt', () => {
    const text = SseClientMessages.httpStatus('GET', '/e', 502, 'Bad Gateway', 'x'.repeat(500));
    expect(text).toBe(
      `SSE GET /e answered HTTP 502 Bad Gateway instead of 200: "${'x'.repeat(77)}..."`,
    );
  });
});
