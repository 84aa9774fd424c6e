/** Export: the conversation as a Markdown file to read, or as the JSON document Import takes back. */
export function ExportMenu({ conversationId }: { conversationId: string }) {
  const href = (format: 'markdown' | 'json') => `/api/conversations/${conversationId}/export?format=${format}`;
  const item = 'block rounded-md px-3 py-1.5 whitespace-nowrap hover:bg-muted focus-visible:outline-2 focus-visible:outline-accent';
  return (
    <details className="relative">
      <summary className="cursor-pointer list-none text-muted-foreground underline-offset-2 hover:text-foreground hover:underline focus-visible:outline-2 focus-visible:outline-accent">
        Export
      </summary>
      <div className="absolute right-0 z-20 mt-1 flex flex-col rounded-lg border border-border bg-card p-1 shadow-md">
        <a href={href('markdown')} download className={item}>
          Markdown (.md)
        </a>
        <a href={href('json')} download className={item}>
          JSON, to import (.json)
        </a>
      </div>
    </details>
  );
}
