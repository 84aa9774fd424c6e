/**
 * `Content-Disposition` for a download: a plain ASCII `filename` for every client, and the name as written in
 * `filename*` (RFC 6266) for those that read it. `base` is made safe for every file system; `extension` is kept.
 */
export function contentDisposition(kind: 'attachment' | 'inline', base: string, extension: string, fallback = 'file'): string {
  const readable = base.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100) || fallback;
  const ascii = readable.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/[%;]/g, '').trim() || fallback;
  const suffix = extension ? `.${extension}` : '';
  const encoded = encodeURIComponent(`${readable}${suffix}`).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}${suffix}"; filename*=UTF-8''${encoded}`;
}

/** A download named after a conversation's title. */
export const attachmentDisposition = (title: string, extension: string) => contentDisposition('attachment', title, extension, 'conversation');

/** A download named as the file was uploaded: `photo.png` keeps its extension, whatever its name's length. */
export function fileDisposition(kind: 'attachment' | 'inline', name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 12 ? name.slice(dot + 1).replace(/[^A-Za-z0-9+]/g, '') : '';
  return contentDisposition(kind, extension ? name.slice(0, dot) : name, extension);
}
