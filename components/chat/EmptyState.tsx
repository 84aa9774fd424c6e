export function EmptyState() {
  return (
    <div className="py-12 text-center">
      <h1 className="text-2xl font-semibold">What can I do for you?</h1>
      <p className="mt-2 text-muted-foreground">
        Ask a question, ask for a poem, or ask for some code. Every prompt is checked for safety and routed to the right
        mode before the answer streams in.
      </p>
    </div>
  );
}
