import 'server-only';
import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import { createAgentActors } from '@/lib/agent/actors';
import { agentMachine, type AgentEmitted, type ChatTurn, type ReportedStep, type TurnOutcome } from '@/lib/agent/machine';
import {
  chatItemTypeFor,
  titleFromPrompt,
  type ChatItem,
  type ChatItemStatus,
  type StreamEvent,
} from '@/lib/contract';
import type { Db } from '@/lib/db/client';
import { getStore } from '@/lib/db/client';
import {
  createRun,
  endRunStep,
  findConversation,
  finishRun,
  insertMessage,
  listMessages,
  saveConversationSnapshot,
  startRunStep,
} from '@/lib/db/queries';
import { AppError, toAppError } from '@/lib/errors';
import { getModels, type Models } from '@/lib/llm';
import { createMemoryEventLog, type RunEventLog } from '@/lib/stream/event-log';

type AgentActor = Actor<typeof agentMachine>;

export type ActiveRun = {
  id: string;
  conversationId: string;
  log: RunEventLog;
  /** Stops the run: the machine leaves its state, which aborts the model request behind it. */
  cancel(): void;
  /** Settles when the run has been stored and its log closed. */
  finished: Promise<void>;
};

/** Runs belong to the process, not to the request that started them. */
const globalForRuns = globalThis as typeof globalThis & { __sluiceRuns?: Map<string, ActiveRun | 'starting'> };
const activeRuns = (globalForRuns.__sluiceRuns ??= new Map());

export function findActiveRun(conversationId: string): ActiveRun | undefined {
  const run = activeRuns.get(conversationId);
  return run && run !== 'starting' ? run : undefined;
}

export function cancelRun(conversationId: string): ActiveRun {
  const run = findActiveRun(conversationId);
  if (!run) throw new AppError('no_run');
  run.cancel();
  return run;
}

/** What a run step's trace row keeps of the machine: enough to show it and to fork from it. */
function traceSnapshot(actor: AgentActor) {
  const snapshot: SnapshotFrom<typeof agentMachine> = actor.getSnapshot();
  return { value: snapshot.value, context: snapshot.context };
}

function toTurns(items: ChatItem[]): ChatTurn[] {
  return items.filter((item) => item.type !== 'error' && item.content !== '').map(({ role, content }) => ({ role, content }));
}

function restoreActor(models: Models, snapshot: unknown, history: ChatItem[]): AgentActor {
  const machine = agentMachine.provide({ actors: createAgentActors(models) });
  if (snapshot) {
    try {
      return createActor(machine, { snapshot: snapshot as SnapshotFrom<typeof agentMachine>, input: {} });
    } catch (error) {
      console.warn('[sluice] stored agent snapshot could not be restored; rebuilding from messages', error);
    }
  }
  return createActor(machine, { input: { history: toTurns(history) } });
}

/**
 * Starts a run of the agent on one prompt. Its events go to the run's log, which any number of readers follow;
 * the store is written at the points the contract names: the user message before any model call, the
 * assistant message before `done`.
 */
export async function startRun(conversationId: string, prompt: string): Promise<ActiveRun> {
  const { db } = await getStore();
  const conversation = await findConversation(db, conversationId);
  if (!conversation) throw new AppError('not_found');
  // Checked and reserved with no await in between, so two prompts cannot both start.
  if (activeRuns.has(conversationId)) throw new AppError('run_in_progress');
  activeRuns.set(conversationId, 'starting');
  try {
    const history = await listMessages(db, conversationId);
    const runId = randomUUID();
    await createRun(db, { id: runId, conversationId, prompt });
    await insertMessage(
      db,
      { id: randomUUID(), conversationId, runId, role: 'user', content: prompt, type: 'text', status: 'complete' },
      titleFromPrompt(prompt),
    );
    const actor = restoreActor(getModels(), conversation.snapshot, history);
    const run = wireRun({ db, actor, runId, conversationId, prompt, history });
    activeRuns.set(conversationId, run);
    actor.start();
    actor.send({ type: 'user.prompt', prompt });
    return run;
  } catch (error) {
    activeRuns.delete(conversationId);
    throw error;
  }
}

function wireRun(args: {
  db: Db;
  actor: AgentActor;
  runId: string;
  conversationId: string;
  prompt: string;
  history: ChatItem[];
}): ActiveRun {
  const { db, actor, runId, conversationId, prompt, history } = args;
  const log = createMemoryEventLog();
  const stepSeq = new Map<ReportedStep, number>();
  let nextSeq = 1;
  let settled = false;
  let resolveFinished = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));

  // Store writes and log appends go through one queue, so events keep their order and `done` follows the write.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (job: () => Promise<void> | void) => {
    queue = queue.then(job).catch((error) => fail(error));
  };
  const append = (event: StreamEvent) => {
    if (!log.closed) log.append(event);
  };

  const end = () => {
    if (settled) return;
    settled = true;
    log.close();
    actor.stop();
    activeRuns.delete(conversationId);
    resolveFinished();
  };

  const fail = (error: unknown) => {
    if (settled) return;
    const appError = toAppError(error);
    append({ type: 'error', value: appError.toInfo() });
    void finishRun(db, runId, { status: 'error', mode: null, error: appError.toInfo() }).catch(() => {});
    end();
  };

  append({ type: 'chat_history', value: history });

  const onStep = (event: Extract<AgentEmitted, { type: 'step' }>) => {
    // The machine finishes its whole step synchronously: a microtask later its snapshot is the one after it.
    const after = Promise.resolve().then(() => traceSnapshot(actor));
    enqueue(async () => {
      append({ type: 'step', value: { name: event.name, status: event.status } });
      if (event.status === 'started') {
        const seq = nextSeq++;
        stepSeq.set(event.name, seq);
        await startRunStep(db, { runId, seq, name: event.name, input: { prompt } });
        return;
      }
      const seq = stepSeq.get(event.name);
      if (seq === undefined) return;
      const snapshot = await after;
      const { context } = snapshot;
      const output =
        event.name === 'check_safety'
          ? context.safety
          : event.name === 'decide_mode'
            ? { mode: context.mode }
            : { content: context.response };
      await endRunStep(db, { runId, seq, status: event.status, output, snapshot });
    });
  };

  const onTurnEnded = (outcome: TurnOutcome) => {
    const snapshot = actor.getSnapshot();
    const step = snapshot.context.responseStep ?? undefined;
    const text = snapshot.context.response;
    enqueue(async () => {
      const status: ChatItemStatus = outcome.status;
      const type = chatItemTypeFor(step, status, text);
      const content = type === 'error' && outcome.status === 'error' ? outcome.error.message : text;
      const item = await insertMessage(db, {
        id: randomUUID(),
        conversationId,
        runId,
        role: 'assistant',
        content,
        type,
        ...(step ? { mode: step } : {}),
        status,
      });
      await finishRun(db, runId, {
        status,
        mode: step ?? null,
        ...(outcome.status === 'error' ? { error: outcome.error } : {}),
      });
      await saveConversationSnapshot(db, conversationId, actor.getPersistedSnapshot());
      append(outcome.status === 'error' ? { type: 'error', value: outcome.error } : { type: 'done', value: item });
      end();
    });
  };

  actor.on('step', onStep);
  actor.on('mode', (event) => enqueue(() => append({ type: 'mode', value: event.step })));
  actor.on('delta', (event) => enqueue(() => append({ type: 'delta', value: event.delta })));
  actor.on('turn.ended', (event) => onTurnEnded(event.outcome));
  actor.subscribe({ error: (error) => enqueue(() => fail(error)) });

  return {
    id: runId,
    conversationId,
    log,
    cancel: () => actor.send({ type: 'cancel' }),
    finished,
  };
}
