import type { Attachment } from '@/lib/contract';

const isImage = (file: Attachment) => file.type.startsWith('image/');

/** "12 KB": a file's size as a chip shows it. */
export function formatSize(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

export function FileIcon() {
  return (
    <svg aria-hidden width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9Z" />
      <path d="M14 3v6h6" />
    </svg>
  );
}

/**
 * The files sent with a prompt, above it: images as thumbnails, text files as chips; each opens in a new tab.
 * `fileBase` is where the bytes are served (`/api/attachments`, or a shared link's own path).
 */
export function MessageFiles({ files, fileBase }: { files: Attachment[]; fileBase: string }) {
  return (
    <ul className="flex max-w-[85%] flex-wrap justify-end gap-2" aria-label="Attached files" data-testid="message-files">
      {files.map((file) => (
        <li key={file.id}>
          <a
            href={`${fileBase}/${file.id}`}
            target="_blank"
            rel="noopener"
            title={`Open ${file.name}`}
            className="block rounded-xl border border-border bg-card focus-visible:outline-2 focus-visible:outline-accent"
          >
            {isImage(file) ? (
              // A thumbnail of the uploaded bytes, served by the app itself: nothing for the image optimizer to do.
              // eslint-disable-next-line @next/next/no-img-element
              <img src={`${fileBase}/${file.id}`} alt={file.name} loading="lazy" className="h-24 max-w-48 rounded-xl object-cover" />
            ) : (
              <span className="flex items-center gap-2 px-3 py-2 text-sm">
                <FileIcon />
                <span className="max-w-48 truncate">{file.name}</span>
                <span className="text-xs text-muted-foreground">{formatSize(file.size)}</span>
              </span>
            )}
          </a>
        </li>
      ))}
    </ul>
  );
}
