import 'server-only';
import { randomUUID } from 'node:crypto';
import type { Actor, SnapshotFrom } from 'xstate';
import { responseOutput, type AgentEmitted, type TurnOutcome } from '@/lib/agent/machine';
import { toAssistantMessage, toEndEvent, toStreamEvent } from '@/lib/agent/run-events';
import type { RunClaim } from '@/lib/agent/run-placement';
import type { RunHandle } from '@/lib/agent/run-registry';
import type { AgentMachine, RunService } from '@/lib/agent/run-service';
import { createTraceWriter } from '@/lib/agent/trace-writer';
import type { ChatItem, ResponseStep, StreamEvent } from '@/lib/contract';
import { storeWrittenTitle } from '@/lib/db/queries/conversations';
import { finishRun, finishTurn } from '@/lib/db/queries/turns';
import { retryWhileStoreUnavailable } from '@/lib/db/store-errors';
import { toAppError } from '@/lib/errors';
import type { RunSpan } from '@/lib/telemetry/spans';

type AgentActor = Actor<AgentMachine>;

/**
 * How often the answer being written is saved with its trace row: what a crash of the server can lose at most
 * (the start-up sweep stores what was saved as the interrupted answer).
 */
export const ANSWER_CHECKPOINT_MS = 1000;

/** What a trace row keeps of the machine after a step: enough to show it and to fork from it. */
const traceSnapshot = ({ value, context }: SnapshotFrom<AgentMachine>) => ({ value, context });

/**
 * Connects a started run's actor to everything around it: its emissions become contract events in the run's log
 * (after the `chat_history` event), its steps trace rows, its answer checkpoints; the end of its turn is stored
 * before `done` is sent. Any failure ends the log with an `error` event and stores what it can.
 *
 * Through a store outage the end of the turn is tried again for `storeRetryMs`; past that the stream ends with
 * `store_unavailable` and the answer, as its readers saw it, is held by the process and stored as interrupted once
 * the store takes writes again (lib/agent/held-turns.ts).
 */
export function wireRun(
  { db, traces, storeRetryMs, held: heldTurns }: RunService,
  args: {
    actor: AgentActor;
    runId: string;
    conversationId: string;
    prompt: string;
    history: Promise<ChatItem[]>;
    claim: RunClaim;
    /** The title a model is writing for a new conversation, if this is its first run. */
    title?: Promise<string | null> | null;
    /** The run's span, ended with the run. */
    span?: RunSpan;
  },
): RunHandle {
  const { actor, runId, conversationId, prompt } = args;
  // Stopping the machine aborts the model call; what it wrote is stored as interrupted.
  const stop = () => actor.send({ type: 'cancel' });
  const log = args.claim.openLog(stop);
  const trace = createTraceWriter(traces, runId);
  let settled = false;
  let resolveFinished = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));

  // `chat_history` is the log's first event: what the machine emits before it is read waits here.
  let held: StreamEvent[] | null = [];
  const send = (event: StreamEvent) => {
    if (log.closed) return;
    if (held) held.push(event);
    else log.append(event);
  };
  const historySent = args.history.then((items) => {
    if (log.closed) return;
    log.append({ type: 'chat_history', value: items });
    for (const event of held ?? []) log.append(event);
    held = null;
  });

  // While a response step streams, its text so far (and its reasoning) goes out with the trace now and then.
  let checkpoint: ReturnType<typeof setInterval> | undefined;
  const startCheckpoints = (step: ResponseStep) => {
    let saved = 0;
    checkpoint = setInterval(() => {
      const { context } = actor.getSnapshot();
      // Both only grow while the step streams: their length says whether anything is new.
      const length = context.response.length + context.reasoning.length;
      if (length === saved) return;
      saved = length;
      trace.stepProgress(step, responseOutput(context));
    }, ANSWER_CHECKPOINT_MS);
  };

  // How long the model thought: from its first reasoning to its first answer token (or the end of the turn).
  let thinkingSince: number | null = null;
  let reasoningMs: number | null = null;
  const stopThinking = () => {
    if (thinkingSince !== null && reasoningMs === null) reasoningMs = Date.now() - thinkingSince;
  };

  // The mode the run answers in, once decided; null when the turn ended before one was.
  let settleMode: (step: ResponseStep | null) => void = () => {};
  const modeDecided = new Promise<ResponseStep | null>((resolve) => (settleMode = resolve));
  // Settled once the answer's first piece has gone out (or the turn ended without one): work that can wait (the
  // title's write) waits for it, so that it never delays the first token.
  let settleAnswering: () => void = () => {};
  const answering = new Promise<void>((resolve) => (settleAnswering = resolve));
  let answerStarted = false;
  const onAnswerPiece = () => {
    if (answerStarted) return;
    answerStarted = true;
    // After the readers' flush of that piece, which was scheduled first.
    setImmediate(settleAnswering);
  };

  // How the run ended, for its span: its stored status, the mode it answered in, the error code if it failed.
  let ending: Parameters<RunSpan['end']>[0] = { status: 'error', mode: null, errorCode: 'internal_error' };

  const end = () => {
    if (settled) return;
    settled = true;
    args.span?.end(ending);
    settleMode(null);
    settleAnswering();
    clearInterval(checkpoint);
    log.close();
    actor.stop();
    resolveFinished();
  };

  const fail = (error: unknown) => {
    if (settled) return;
    const info = toAppError(error).toInfo();
    ending = { status: 'error', mode: actor.getSnapshot().context.responseStep, errorCode: info.code };
    held = null;
    // A shared log that failed (Redis gone, the lease lost) has told its readers why already.
    if (!log.closed) log.append({ type: 'error', value: info });
    // What can still be stored is, beside the closing log: the trace so far and the run's failure.
    void Promise.all([trace.flush(), finishRun(db, runId, { status: 'error', mode: null, error: info })]).catch(
      (cause: unknown) => console.error('[sluice] could not store a failed run', cause),
    );
    end();
  };
  historySent.catch(fail);

  const onStep = (emitted: Extract<AgentEmitted, { type: 'step' }>) => {
    const event = toStreamEvent(emitted);
    if (event) send(event);
    if (emitted.status === 'started') trace.stepStarted(emitted.name, { prompt });
    // Emissions are delivered after the machine's step, so this is the snapshot after it.
    else trace.stepEnded(emitted.name, emitted.status, emitted.output ?? null, traceSnapshot(actor.getSnapshot()));
  };

  const onTurnEnded = (outcome: TurnOutcome) => {
    clearInterval(checkpoint);
    stopThinking();
    const { context } = actor.getSnapshot();
    const message = toAssistantMessage(outcome, context.responseStep, { text: context.response, reasoning: context.reasoning, reasoningMs });
    const snapshot = actor.getPersistedSnapshot();
    ending = { status: message.status, mode: context.responseStep, errorCode: outcome.status === 'error' ? outcome.error.code : undefined };
    const turn = {
      runId,
      message: { id: randomUUID(), conversationId, runId, role: 'assistant' as const, ...message },
      outcome: {
        status: message.status,
        mode: context.responseStep,
        ...(outcome.status === 'error' ? { error: outcome.error } : {}),
      },
      snapshot,
      tokens: context.responseStep ? trace.usageOf(context.responseStep) : null,
    };
    const storeTurn = async (finished: typeof turn) => {
      await trace.flush();
      return finishTurn(db, finished);
    };
    void (async () => {
      await historySent;
      let stored;
      try {
        stored = await retryWhileStoreUnavailable(() => storeTurn(turn), storeRetryMs);
      } catch (error) {
        const info = toAppError(error).toInfo();
        if (info.code !== 'store_unavailable') throw error;
        // The answer went out to its readers; it is kept as they saw it, and its run closed, once the store is back.
        // A complete answer is kept as interrupted: its readers were told it could not be stored.
        const held =
          turn.outcome.status === 'complete'
            ? { ...turn, message: { ...turn.message, status: 'interrupted' as const }, outcome: { status: 'interrupted' as const, mode: turn.outcome.mode, error: info } }
            : turn;
        heldTurns.hold(conversationId, () => storeTurn(held));
        ending = { status: 'interrupted', mode: turn.outcome.mode, errorCode: info.code };
        send({ type: 'error', value: info });
        end();
        return;
      }
      // Null: another instance found this run's producer lost and closed it; its readers were told so there.
      if (stored) send(toEndEvent(outcome, stored));
      end();
    })().catch(fail);
  };

  actor.on('step', onStep);
  actor.on('mode', (emitted) => {
    settleMode(emitted.step);
    send(toStreamEvent(emitted)!);
    startCheckpoints(emitted.step);
  });
  actor.on('delta', (emitted) => {
    stopThinking();
    send(toStreamEvent(emitted)!);
    onAnswerPiece();
  });
  actor.on('reasoning', (emitted) => {
    thinkingSince ??= Date.now();
    send(toStreamEvent(emitted)!);
    onAnswerPiece();
  });
  actor.on('call', (emitted) => trace.stepCall(emitted.step, emitted.call));
  actor.on('turn.ended', (emitted) => onTurnEnded(emitted.outcome));
  actor.subscribe({ error: fail });

  if (args.title) {
    // Stored only for a prompt the agent answers (a refused one keeps its first-prompt title), once the answer is
    // under way; an event only while the log is open, so it comes before `done` or not at all.
    void Promise.all([args.title, modeDecided, answering])
      .then(async ([title, mode]) => {
        if (!title || !mode || mode === 'unsafe_response') return;
        if (await storeWrittenTitle(db, conversationId, title)) send({ type: 'title', value: { title } });
      })
      .catch((error: unknown) => console.warn('[sluice] could not store a written title', error));
  }

  return { id: runId, conversationId, log, cancel: stop, finished };
}
