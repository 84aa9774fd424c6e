import { FileIcon } from '@/components/chat/MessageFiles';
import type { PendingFile, RefusedFile } from '@/components/chat/use-attachments';

/** The files the next prompt takes, each with a button to take it off; and those refused, with why. */
export function PendingFiles({ files, refused, onRemove, onDismiss }: { files: PendingFile[]; refused: RefusedFile[]; onRemove: (key: string) => void; onDismiss: () => void }) {
  return (
    <>
      {refused.length > 0 ? (
        <div role="alert" className="mb-2 flex items-start gap-2 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/50 dark:text-red-200">
          <ul className="flex-1">
            {refused.map((file) => (
              <li key={file.key}>
                <strong className="font-medium">{file.name}</strong>: {file.message}
              </li>
            ))}
          </ul>
          <button type="button" onClick={onDismiss} aria-label="Dismiss" className="rounded px-1 hover:bg-red-100 dark:hover:bg-red-900/50">
            ×
          </button>
        </div>
      ) : null}
      {files.length > 0 ? (
        <ul className="flex flex-wrap gap-2 px-1 pb-2" aria-label="Files to send">
          {files.map((file) => (
            <li
              key={file.key}
              className="relative flex items-center gap-2 rounded-xl border border-border bg-background pr-8 text-sm"
              data-status={file.status}
              aria-busy={file.status === 'uploading'}
            >
              {file.preview ? (
                // eslint-disable-next-line @next/next/no-img-element
                <img src={file.preview} alt="" className={`size-12 rounded-l-xl object-cover ${file.status === 'uploading' ? 'opacity-50' : ''}`} />
              ) : (
                <span className="pl-3 text-muted-foreground">
                  <FileIcon />
                </span>
              )}
              <span className="max-w-40 truncate py-2" title={file.name}>
                {file.name}
                {file.status === 'uploading' ? <span className="block text-xs text-muted-foreground">Uploading…</span> : null}
              </span>
              <button
                type="button"
                onClick={() => onRemove(file.key)}
                aria-label={`Remove ${file.name}`}
                title={`Remove ${file.name}`}
                className="absolute top-1 right-1 flex size-6 items-center justify-center rounded-full text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-accent"
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
