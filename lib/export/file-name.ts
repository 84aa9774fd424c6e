/**
 * `Content-Disposition` for a download named after a conversation's title: a plain ASCII `filename` for every
 * client, and the title as written in `filename*` (RFC 6266) for those that read it.
 */
export function attachmentDisposition(title: string, extension: string): string {
  const readable = title.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100) || 'conversation';
  const ascii = readable.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/[%;]/g, '').trim() || 'conversation';
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(`${readable}.${extension}`).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
