import { usesDemoModel } from '@/lib/env';

export function DemoNotice() {
  if (!usesDemoModel()) return null;
  return (
    <div role="note" className="border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100">
      <strong className="font-semibold">Demo model.</strong> Answers are canned and offline. To use a real model, set{' '}
      <code className="font-mono">OPENAI_API_KEY</code> (or <code className="font-mono">OPENAI_BASE_URL</code> for an
      OpenAI-compatible server such as Ollama or vLLM) and restart. The demo model does not see images or read attached files.
    </div>
  );
}
