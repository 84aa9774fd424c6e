/**
 * What the trace view shows of a run, as pure functions of the runs API's data: the waterfall's geometry and
 * speeds, the machine's state before and after a step, and the difference between them.
 */
import { RESPONSE_STEPS, type RunTrace, type TraceStep } from '@/lib/contract';

const isStreamed = (step: TraceStep) => (RESPONSE_STEPS as readonly string[]).includes(step.name);

const ms = (iso: string) => Date.parse(iso);

export type WaterfallRow = {
  step: TraceStep;
  /** Where the bar starts and how wide it is, in percent of the run. */
  offsetPct: number;
  widthPct: number;
  durationMs: number | null;
  /** Where the first token came, in percent of the run. */
  firstTokenPct: number | null;
  /** Tokens written per second once the first had come, for a streamed answer. */
  tokensPerSecond: number | null;
};

/** The run's steps as bars on one time axis, from the run's start to its end (or to now, while it runs). */
export function waterfallOf(run: RunTrace, now = Date.now()): { totalMs: number; rows: WaterfallRow[] } {
  const start = ms(run.startedAt);
  const ends = run.steps.map((step) => (step.endedAt ? ms(step.endedAt) : now));
  const end = Math.max(run.endedAt ? ms(run.endedAt) : now, ...ends, start + 1);
  const totalMs = end - start;
  const pct = (t: number) => Math.min(100, Math.max(0, ((t - start) / totalMs) * 100));
  const rows = run.steps.map((step, index) => {
    const stepStart = ms(step.startedAt);
    const stepEnd = ends[index]!;
    const firstToken = step.firstTokenMs === undefined ? null : stepStart + step.firstTokenMs;
    const streamingMs = firstToken === null ? 0 : stepEnd - firstToken;
    return {
      step,
      offsetPct: pct(stepStart),
      widthPct: Math.max(0.5, pct(stepEnd) - pct(stepStart)),
      durationMs: step.endedAt ? stepEnd - stepStart : null,
      firstTokenPct: firstToken === null ? null : pct(firstToken),
      tokensPerSecond:
        isStreamed(step) && step.tokens && streamingMs > 0 && step.tokens.output > 1 ? (step.tokens.output * 1000) / streamingMs : null,
    };
  });
  return { totalMs, rows };
}

/** Total tokens of a run's model calls, and whether any count was estimated. */
export function runTokens(run: RunTrace): { input: number; output: number; estimated: boolean } | null {
  const counted = run.steps.flatMap((step) => (step.tokens ? [step.tokens] : []));
  if (counted.length === 0) return null;
  return {
    input: counted.reduce((sum, t) => sum + t.input, 0),
    output: counted.reduce((sum, t) => sum + t.output, 0),
    estimated: counted.some((t) => t.estimated),
  };
}

type AgentState = { value: unknown; context: Record<string, unknown> };
type Turn = { role: string; content: string };

const asState = (state: TraceStep['state']): AgentState | null =>
  state && typeof state.context === 'object' && state.context !== null ? { value: state.value, context: state.context as Record<string, unknown> } : null;

/**
 * The machine's state when a step began: after the last step of the run that had ended by then, else after the
 * previous run (`earlier`, the run before it in time), else nothing yet (a conversation's first run).
 */
export function stateBefore(run: RunTrace, step: TraceStep, earlier: RunTrace | undefined): AgentState | null {
  const began = ms(step.startedAt);
  const ended = run.steps.filter((s) => s !== step && s.endedAt && ms(s.endedAt) <= began && s.state);
  const last = ended.at(-1);
  if (last) return asState(last.state);
  const previous = earlier?.steps.filter((s) => s.state).at(-1);
  return previous ? asState(previous.state) : null;
}

export type StateChange = { field: string; before: string; after: string };

const show = (value: unknown): string => {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
};

const FIELDS: [key: string, label: string][] = [
  ['safety', 'safety verdict'],
  ['mode', 'mode'],
  ['responseStep', 'response step'],
  ['reasoning', 'reasoning'],
  ['response', 'response'],
  ['turns', 'turns'],
];

/**
 * What a step changed, field by field, in words a reader follows: the state it left the machine in, the turns
 * added to the chat history, the verdict, the mode, the response.
 */
export function stateChanges(before: AgentState | null, afterStep: TraceStep['state']): StateChange[] {
  const after = asState(afterStep);
  if (!after) return [];
  const changes: StateChange[] = [];
  const was = before?.context ?? {};
  const now = after.context;
  if (JSON.stringify(before?.value ?? null) !== JSON.stringify(after.value)) {
    changes.push({ field: 'state', before: show(before?.value), after: show(after.value) });
  }
  const oldHistory = (was.history as Turn[] | undefined) ?? [];
  const newHistory = (now.history as Turn[] | undefined) ?? [];
  if (newHistory.length !== oldHistory.length || JSON.stringify(newHistory) !== JSON.stringify(oldHistory)) {
    const added = newHistory.slice(oldHistory.length).map((turn) => `+ ${turn.role}: ${turn.content}`);
    changes.push({
      field: 'chat history',
      before: `${oldHistory.length} turn${oldHistory.length === 1 ? '' : 's'}`,
      after: [`${newHistory.length} turn${newHistory.length === 1 ? '' : 's'}`, ...added].join('\n'),
    });
  }
  for (const [key, label] of FIELDS) {
    if (JSON.stringify(was[key] ?? null) !== JSON.stringify(now[key] ?? null)) {
      changes.push({ field: label, before: show(was[key]), after: show(now[key]) });
    }
  }
  return changes;
}

/** The chat messages a step sent upstream, when its input is a chat request. */
export function upstreamMessages(step: TraceStep): Turn[] | null {
  const input = step.input as { messages?: unknown } | null;
  if (!input || !Array.isArray(input.messages)) return null;
  return input.messages.filter((m): m is Turn => typeof m === 'object' && m !== null && 'role' in m && 'content' in m);
}
