/** Text files are read whole into the prompt: at most this large, whatever ATTACHMENT_MAX_BYTES says. */
export const MAX_TEXT_ATTACHMENT_BYTES = 1024 * 1024;

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export const isImageType = (type: string): type is ImageType => (IMAGE_TYPES as readonly string[]).includes(type);

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) => signature.every((byte, index) => bytes[at + index] === byte);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

/** An image by its magic numbers: what the bytes are, whatever the client said. */
function imageTypeOf(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

/** Text types a file name's extension may refine `text/plain` to. */
const TEXT_TYPES: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  jsx: 'text/javascript',
  ts: 'text/x-typescript',
  tsx: 'text/x-typescript',
  py: 'text/x-python',
  rb: 'text/x-ruby',
  go: 'text/x-go',
  rs: 'text/x-rust',
  java: 'text/x-java',
  kt: 'text/x-kotlin',
  swift: 'text/x-swift',
  c: 'text/x-c',
  h: 'text/x-c',
  cpp: 'text/x-c++',
  hpp: 'text/x-c++',
  cs: 'text/x-csharp',
  php: 'text/x-php',
  sh: 'text/x-shellscript',
  sql: 'text/x-sql',
  css: 'text/css',
  yaml: 'text/yaml',
  yml: 'text/yaml',
  toml: 'text/x-toml',
  xml: 'application/xml',
  log: 'text/plain',
  txt: 'text/plain',
};

/** Markup a browser would run if it were ever served as what it is: refused, whatever its name says. */
const ACTIVE_EXTENSIONS = new Set(['svg', 'svgz', 'html', 'htm', 'xhtml', 'shtml', 'mht', 'mhtml']);
const ACTIVE_MARKUP = /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(svg|!doctype\s+html|html|head|body|script)\b/i;

const extensionOf = (name: string) => /\.([a-z0-9+]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';

/** The text of a file, when it is valid UTF-8 without NUL (which no text file holds): else null. */
function utf8TextOf(bytes: Uint8Array): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

export type DecidedType =
  | { kind: 'image' | 'text'; type: string }
  /** Not taken: the contract's code for it (415 or 413) and why, in words for the person who attached it. */
  | { kind: 'refused'; code: 'unsupported_media_type' | 'attachment_too_large'; message: string };

const NO_MARKUP = 'SVG and HTML files are not accepted: attach an image (PNG, JPEG, WebP, GIF) or a text file.';

/**
 * What a file is, decided from its bytes, never from what the client said: an image by its magic numbers, else
 * text (valid UTF-8), whose type the name's extension may refine. Anything else is refused as an unsupported media
 * type, SVG and HTML too; a file over its kind's limit is refused as too large.
 */
export function decideFileType(bytes: Uint8Array, name: string, maxImageBytes: number): DecidedType {
  const image = imageTypeOf(bytes);
  if (image) {
    if (bytes.byteLength > maxImageBytes) return { kind: 'refused', code: 'attachment_too_large', message: `Images can be at most ${formatBytes(maxImageBytes)}.` };
    return { kind: 'image', type: image };
  }
  const extension = extensionOf(name);
  if (ACTIVE_EXTENSIONS.has(extension)) return { kind: 'refused', code: 'unsupported_media_type', message: NO_MARKUP };
  if (bytes.byteLength > MAX_TEXT_ATTACHMENT_BYTES) {
    return { kind: 'refused', code: 'attachment_too_large', message: `Text files can be at most ${formatBytes(MAX_TEXT_ATTACHMENT_BYTES)}.` };
  }
  const text = utf8TextOf(bytes);
  if (text === null) {
    return { kind: 'refused', code: 'unsupported_media_type', message: 'Only images (PNG, JPEG, WebP, GIF) and text files (UTF-8) can be attached.' };
  }
  if (ACTIVE_MARKUP.test(text.slice(0, 4096))) return { kind: 'refused', code: 'unsupported_media_type', message: NO_MARKUP };
  return { kind: 'text', type: TEXT_TYPES[extension] ?? 'text/plain' };
}

/** "5 MiB", "512 KiB": a limit as a person reads it. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** The Content-Type a file is served with: text types say their charset. */
export const servedType = (type: string) => (isImageType(type) ? type : `${type}; charset=utf-8`);

/**
 * A file name as it is kept and shown: its last path segment, without control characters or lone surrogates, at
 * most 255 characters (the extension kept); a name with nothing left is `file`.
 */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return 'file';
  if (cleaned.length <= 255) return cleaned;
  const extension = extensionOf(cleaned);
  return extension && extension.length < 20 ? `${cleaned.slice(0, 254 - extension.length)}.${extension}` : cleaned.slice(0, 255);
}
