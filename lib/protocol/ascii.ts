/**
 * True when every character of `text` is ASCII (U+0000-U+007F), so its UTF-8 bytes are its
 * characters. Used by the client and by the server's Last-Event-ID parsing; it lives here
 * because the client may import nothing from outside `client/` (it runs in browsers).
 */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
