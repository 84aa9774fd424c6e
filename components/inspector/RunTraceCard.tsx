import Link from 'next/link';
import type { RunTrace, TraceStep } from '@/lib/contract';
import { ForkButton } from '@/components/chat/ForkButton';
import { runTokens, stateBefore, stateChanges, upstreamMessages, waterfallOf } from '@/lib/inspector/trace-view';

const STATUS_STYLE: Record<string, string> = {
  complete: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-200',
  running: 'bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-200',
  interrupted: 'bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200',
  error: 'bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-200',
  completed: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-200',
  started: 'bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-200',
  failed: 'bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-200',
};

const formatMs = (value: number | null) => (value === null ? 'running' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`);

function StatusBadge({ status }: { status: string }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status] ?? ''}`}>{status}</span>;
}

function Tokens({ tokens }: { tokens: { input: number; output: number; estimated: boolean } }) {
  return (
    <span title={tokens.estimated ? 'estimated: the server reported no counts' : 'as the server reported them'}>
      {tokens.estimated ? '~' : ''}
      {tokens.input} in / {tokens.estimated ? '~' : ''}
      {tokens.output} out
    </span>
  );
}

function StepDetail({ run, step, earlier, conversationId }: { run: RunTrace; step: TraceStep; earlier: RunTrace | undefined; conversationId: string }) {
  const changes = stateChanges(stateBefore(run, step, earlier), step.state);
  const messages = upstreamMessages(step);
  const request = step.input && typeof step.input === 'object' ? (step.input as Record<string, unknown>) : null;
  const parameters = request ? Object.entries(request).filter(([key]) => key !== 'messages') : [];
  return (
    <section aria-label={`Step ${step.name}`} data-testid="step-detail" className="flex flex-col gap-4 border-t border-border pt-4">
      <h3 className="flex items-center gap-2 font-medium">
        {step.name} <StatusBadge status={step.status} />
        {step.status === 'completed' ? (
          <ForkButton
            conversationId={conversationId}
            fork={{ runId: run.id, step: step.name }}
            label="Fork from here"
            title="A new conversation that goes on from the state after this step"
          />
        ) : null}
      </h3>
      <div>
        <h4 className="mb-1 text-sm font-medium">State before → after</h4>
        {changes.length === 0 ? (
          <p className="text-sm text-muted-foreground">No state recorded for this step.</p>
        ) : (
          <table className="w-full table-fixed text-left text-sm">
            <thead className="text-muted-foreground">
              <tr>
                <th className="w-32 py-1 font-normal">field</th>
                <th className="py-1 font-normal">before</th>
                <th className="py-1 font-normal">after</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr key={change.field} className="border-t border-border align-top">
                  <td className="py-1 pr-2 font-medium">{change.field}</td>
                  <td className="py-1 pr-2 break-words whitespace-pre-wrap text-red-800 dark:text-red-300">{change.before}</td>
                  <td className="py-1 break-words whitespace-pre-wrap text-emerald-800 dark:text-emerald-300">{change.after}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div>
        <h4 className="mb-1 text-sm font-medium">{messages ? 'Sent upstream' : 'Input'}</h4>
        {messages ? (
          <ol className="flex flex-col gap-1 text-sm" data-testid="upstream-messages">
            {messages.map((message, index) => (
              <li key={index} className="rounded border border-border px-2 py-1">
                <span className="mr-2 font-mono text-xs text-muted-foreground">{message.role}</span>
                <span className="whitespace-pre-wrap break-words">{message.content}</span>
              </li>
            ))}
          </ol>
        ) : null}
        {!messages || parameters.length > 0 ? (
          <pre className="mt-2 overflow-x-auto rounded bg-muted p-2 text-xs">
            {JSON.stringify(messages ? Object.fromEntries(parameters) : step.input, null, 2)}
          </pre>
        ) : null}
      </div>
      <div>
        <h4 className="mb-1 text-sm font-medium">Output</h4>
        <pre className="overflow-x-auto rounded bg-muted p-2 text-xs whitespace-pre-wrap">{JSON.stringify(step.output, null, 2)}</pre>
      </div>
    </section>
  );
}

/**
 * One run: its prompt and outcome, a waterfall of its steps on one time axis (the parallel checks overlap), and
 * the selected step's detail. Selecting is a link, so the page works without JavaScript.
 */
export function RunTraceCard({
  run,
  earlier,
  conversationId,
  selectedStep,
}: {
  run: RunTrace;
  earlier: RunTrace | undefined;
  conversationId: string;
  selectedStep: string | null;
}) {
  const { totalMs, rows } = waterfallOf(run);
  const tokens = runTokens(run);
  const selected = run.steps.find((step) => step.name === selectedStep) ?? null;
  return (
    <article aria-label={`Run: ${run.prompt}`} data-run={run.id} className="flex flex-col gap-3 rounded-lg border border-border bg-card p-4">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="min-w-0 flex-1 truncate font-medium" title={run.prompt}>
          {run.prompt}
        </p>
        <p className="flex items-center gap-2 text-xs text-muted-foreground">
          <StatusBadge status={run.status} />
          {run.mode ? <span>{run.mode}</span> : null}
          <span>{formatMs(run.endedAt ? totalMs : null)}</span>
          {tokens ? <Tokens tokens={tokens} /> : null}
          <time dateTime={run.startedAt}>{new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC</time>
          <ForkButton
            conversationId={conversationId}
            fork={{ runId: run.id, step: 'prompt' }}
            label="Run again"
            title="Fork at the prompt: the whole flow runs again in a new conversation"
          />
        </p>
      </header>
      {run.error ? <p className="text-sm text-red-800 dark:text-red-300">{run.error.message}</p> : null}
      <ol aria-label="Steps" className="flex flex-col gap-1.5">
        {rows.map((row) => {
          const isSelected = row.step.name === selected?.name;
          return (
            <li key={row.step.name} data-step={row.step.name} className="grid grid-cols-[10rem_1fr_12rem] items-center gap-3 text-sm">
              <Link
                href={`/c/${conversationId}/trace?run=${run.id}&step=${row.step.name}`}
                aria-current={isSelected ? 'true' : undefined}
                scroll={false}
                className={`truncate underline-offset-2 hover:underline ${isSelected ? 'font-semibold text-accent' : ''}`}
              >
                {row.step.name}
              </Link>
              <div className="relative h-4 rounded bg-muted" aria-hidden>
                <div
                  className={`absolute inset-y-0 rounded ${row.step.status === 'failed' ? 'bg-red-400' : row.step.status === 'interrupted' ? 'bg-amber-400' : 'bg-accent/70'}`}
                  style={{ left: `${row.offsetPct}%`, width: `${row.widthPct}%` }}
                />
                {row.firstTokenPct !== null ? (
                  <div className="absolute inset-y-[-2px] w-0.5 bg-foreground" style={{ left: `${row.firstTokenPct}%` }} title="first token" />
                ) : null}
              </div>
              <span className="text-xs text-muted-foreground tabular-nums">
                {formatMs(row.durationMs)}
                {row.step.firstTokenMs !== undefined ? ` · first token ${formatMs(row.step.firstTokenMs)}` : ''}
                {row.tokensPerSecond !== null ? ` · ${row.tokensPerSecond.toFixed(0)} tok/s` : ''}
              </span>
            </li>
          );
        })}
      </ol>
      {selected ? <StepDetail run={run} step={selected} earlier={earlier} conversationId={conversationId} /> : null}
    </article>
  );
}
