/**
 * True when every character of `text` is ASCII (U+0000-U+007F), so its UTF-8 bytes are its
 * characters. Used by the client and by the server's Last-Event-ID parsing; it lives with the
 * protocol, the one folder outside `client/` the client (which runs in browsers) imports.
 */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
