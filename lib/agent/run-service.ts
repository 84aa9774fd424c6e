import 'server-only';
import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import { createAgentActors } from '@/lib/agent/actors';
import { agentMachine, toMode, toSafetyVerdict, type AgentEmitted, type TurnOutcome } from '@/lib/agent/machine';
import { titleFromPrompt, toAssistantMessage, toEndEvent, toStreamEvent } from '@/lib/agent/run-events';
import { configuredPlacement, singleProcess, type RunClaim, type RunPlacement } from '@/lib/agent/run-placement';
import { runRegistry, type RunHandle, type RunRegistry } from '@/lib/agent/run-registry';
import { createTraceWriter } from '@/lib/agent/trace-writer';
import type { ChatItem, ForkBody, Mode, ResponseStep, StreamEvent } from '@/lib/contract';
import { getStore, type Db } from '@/lib/db/client';
import {
  beginTurn,
  createFork,
  deleteConversation as removeConversationRow,
  findConversation,
  findForkSource,
  finishRun,
  finishTurn,
  listMessages,
  type RunQuota,
} from '@/lib/db/queries';
import { AppError, toAppError } from '@/lib/errors';
import { getEnv, type PreSteps } from '@/lib/env';
import { getModels, type Models } from '@/lib/llm';
import type { ChatTurn, SafetyVerdict } from '@/lib/llm/types';

type AgentActor = Actor<typeof agentMachine>;
type AgentSnapshot = SnapshotFrom<typeof agentMachine>;

export type RunServiceDeps = {
  db: Db;
  models: Models;
  registry: RunRegistry;
  quota: RunQuota;
  /** The safety check and the mode decision side by side (the default), or one after the other. */
  preSteps?: PreSteps;
  /** Where runs live: this process alone (the default), or shared with other instances through Redis. */
  placement?: RunPlacement;
};

/** An earlier run's verdict and mode, for a run that only writes the response again (a regenerate). */
export type ReusedAnalysis = { safety: SafetyVerdict; mode: Mode };

/** What the model sees of stored messages: error notes are the app's, not the conversation's. */
function toTurns(items: ChatItem[]): ChatTurn[] {
  return items.filter((item) => item.type !== 'error' && item.content !== '').map(({ role, content }) => ({ role, content }));
}

type AgentMachine = typeof agentMachine;

/** The machine with the real actors, built once per set of models: `provide` rebuilds the whole state tree. */
const machines = new WeakMap<Models, Partial<Record<PreSteps, AgentMachine>>>();
function machineFor(models: Models, preSteps: PreSteps): AgentMachine {
  const built = machines.get(models) ?? {};
  machines.set(models, built);
  return (built[preSteps] ??= agentMachine.provide({
    actors: createAgentActors(models),
    guards: { preStepsInParallel: () => preSteps === 'parallel' },
  }));
}

/** The agent as it was at the end of the last turn; null when there is no usable snapshot. */
function restoreActor(machine: AgentMachine, snapshot: unknown): AgentActor | null {
  if (!snapshot) return null;
  try {
    return createActor(machine, { snapshot: snapshot as AgentSnapshot, input: {} });
  } catch (error) {
    console.warn('[sluice] stored agent snapshot could not be restored; rebuilding from messages', error);
    return null;
  }
}

/**
 * How often the answer being written is saved with its trace row: what a crash of the server can lose at most
 * (the start-up sweep stores what was saved as the interrupted answer).
 */
export const ANSWER_CHECKPOINT_MS = 1000;

/** What a trace row keeps of the machine after a step: enough to show it and to fork from it. */
const traceSnapshot = ({ value, context }: AgentSnapshot) => ({ value, context });

/**
 * Runs of the agent over a store and a set of models. A run's events go to its log, which any number of readers
 * follow. Only what the contract names waits on the store: the user message before any model call, the
 * assistant message (and the run's trace) before `done`.
 */
export function createRunService({ db, models, registry, quota, preSteps = 'parallel', placement = singleProcess }: RunServiceDeps) {
  const machine = machineFor(models, preSteps);

  async function launch(conversationId: string, ownerId: string, prompt: string, reuse?: ReusedAnalysis): Promise<RunHandle> {
    const runId = randomUUID();
    const userMessageId = randomUUID();
    const claim = await placement.claim(runId);
    const begin = () =>
      beginTurn(db, { conversationId, ownerId, runId, messageId: userMessageId, prompt, title: titleFromPrompt(prompt) }, quota);
    let turn: Awaited<ReturnType<typeof beginTurn>>;
    try {
      turn = await begin();
      if (turn.status === 'busy' && (await placement.reclaimLostRun(conversationId, ownerId))) {
        turn = await begin();
      }
    } catch (error) {
      claim.release();
      throw error;
    }
    if (turn.status !== 'begun') claim.release();
    if (turn.status === 'not_found') throw new AppError('not_found');
    if (turn.status === 'busy') throw new AppError('run_in_progress');
    if (turn.status === 'rate_limited') {
      const { retryAfterS } = turn;
      throw new AppError('rate_limited', `Too many prompts in a short time: you can send the next in ${retryAfterS} s.`, { retryAfterS });
    }

    // The messages before this prompt, for the `chat_history` event; read beside the model calls, not before them.
    const history: Promise<ChatItem[]> =
      turn.priorMessages === 0
        ? Promise.resolve([])
        : listMessages(db, conversationId).then((items) => items.filter((item) => item.id !== userMessageId));
    let actor: AgentActor;
    try {
      actor = restoreActor(machine, turn.snapshot) ?? (await freshActor(history));
    } catch (error) {
      // The run row would otherwise stay running and hold the conversation (one running run each, in the database).
      await finishRun(db, runId, { status: 'error', mode: null, error: toAppError(error).toInfo() }).catch(() => undefined);
      claim.release();
      throw error;
    }
    const run = wireRun({ actor, runId, conversationId, prompt, history, claim });
    actor.start();
    actor.send(reuse ? { type: 'user.regenerate', prompt, ...reuse } : { type: 'user.prompt', prompt });
    return run;
  }

  /** Without a snapshot (a new conversation, or one that cannot be restored) the history comes from the messages. */
  async function freshActor(history: Promise<ChatItem[]>): Promise<AgentActor> {
    return createActor(machine, { input: { history: toTurns(await history) } });
  }

  function wireRun(args: {
    actor: AgentActor;
    runId: string;
    conversationId: string;
    prompt: string;
    history: Promise<ChatItem[]>;
    claim: RunClaim;
  }): RunHandle {
    const { actor, runId, conversationId, prompt } = args;
    // Stopping the machine aborts the model call; what it wrote is stored as interrupted.
    const stop = () => actor.send({ type: 'cancel' });
    const log = args.claim.openLog(stop);
    const trace = createTraceWriter(db, runId);
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

    // While a response step streams, its text so far goes out with the trace now and then.
    let checkpoint: ReturnType<typeof setInterval> | undefined;
    const startCheckpoints = (step: ResponseStep) => {
      let saved = '';
      checkpoint = setInterval(() => {
        const { response } = actor.getSnapshot().context;
        if (response === saved) return;
        saved = response;
        trace.stepProgress(step, { content: response });
      }, ANSWER_CHECKPOINT_MS);
    };

    const end = () => {
      if (settled) return;
      settled = true;
      clearInterval(checkpoint);
      log.close();
      actor.stop();
      resolveFinished();
    };

    const fail = (error: unknown) => {
      if (settled) return;
      const info = toAppError(error).toInfo();
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
      const { context } = actor.getSnapshot();
      const message = toAssistantMessage(outcome, context.responseStep, context.response);
      const snapshot = actor.getPersistedSnapshot();
      void (async () => {
        await historySent;
        await trace.flush();
        const stored = await finishTurn(db, {
          runId,
          message: { id: randomUUID(), conversationId, runId, role: 'assistant', ...message },
          outcome: {
            status: message.status,
            mode: context.responseStep,
            ...(outcome.status === 'error' ? { error: outcome.error } : {}),
          },
          snapshot,
          tokens: context.responseStep ? trace.usageOf(context.responseStep) : null,
        });
        // Null: another instance found this run's producer lost and closed it; its readers were told so there.
        if (stored) send(toEndEvent(outcome, stored));
        end();
      })().catch(fail);
    };

    actor.on('step', onStep);
    actor.on('mode', (emitted) => {
      send(toStreamEvent(emitted)!);
      startCheckpoints(emitted.step);
    });
    actor.on('delta', (emitted) => send(toStreamEvent(emitted)!));
    actor.on('call', (emitted) => trace.stepCall(emitted.step, emitted.call));
    actor.on('turn.ended', (emitted) => onTurnEnded(emitted.outcome));
    actor.subscribe({ error: fail });

    return { id: runId, conversationId, log, cancel: stop, finished };
  }

  /** The conversation's run, in this process or (with several instances) in another; null when none runs. */
  async function runningIn(conversationId: string, ownerId: string): Promise<RunHandle | null> {
    const local = registry.find(conversationId, ownerId);
    return local ?? placement.runningElsewhere(conversationId, ownerId);
  }

  /** Where the registry holds no run of the session: null for its conversation, 404 for any other id. */
  async function nothingRunsIn(conversationId: string, ownerId: string): Promise<null> {
    if (!(await findConversation(db, conversationId, ownerId))) throw new AppError('not_found');
    return null;
  }

  function startRun(conversationId: string, ownerId: string, prompt: string, reuse?: ReusedAnalysis): Promise<RunHandle> {
    return registry.start(conversationId, ownerId, () => launch(conversationId, ownerId, prompt, reuse));
  }

  /**
   * A new conversation from a step of a run, the original untouched. At `prompt` the whole flow runs again (with
   * a replacement prompt: an edit); at `check_safety` or `decide_mode` only the response is written again, with
   * the run's verdict and mode (a regenerate); at the response step the finished turn is copied and the fork waits
   * for its next prompt. 404 for a run the session's conversation does not have, or a step it has not finished.
   */
  async function fork(conversationId: string, ownerId: string, { runId, step, prompt }: ForkBody): Promise<{ id: string; run: RunHandle | null }> {
    const source = await findForkSource(db, conversationId, ownerId, runId);
    if (!source || source.promptSeq === null) throw new AppError('not_found', 'No such run, or no such step of it, in this conversation.');
    const finished = (name: string) => source.steps.find((s) => s.name === name && s.status === 'completed');
    const id = randomUUID();
    const parent = { conversationId, runId, step };
    const copyThrough = async (throughSeq: number) =>
      createFork(db, { id, ownerId, parent, throughSeq, title: source.title });

    const startInFork = async (text: string, reuse?: ReusedAnalysis) => {
      try {
        return await startRun(id, ownerId, text, reuse);
      } catch (error) {
        // A fork whose run could not start (the rate limit) is not left behind empty.
        await removeConversationRow(db, id, ownerId);
        throw error;
      }
    };

    if (step === 'prompt') {
      await copyThrough(source.promptSeq - 1);
      return { id, run: await startInFork(prompt ?? source.prompt) };
    }
    if (step === 'check_safety' || step === 'decide_mode') {
      const safety = finished('check_safety');
      const decided = finished('decide_mode');
      if (!finished(step) || !safety || !decided) throw new AppError('not_found', `That run has not finished ${step}.`);
      await copyThrough(source.promptSeq - 1);
      const reuse = { safety: toSafetyVerdict(safety.output), mode: toMode(decided.output) };
      return { id, run: await startInFork(source.prompt, reuse) };
    }
    if (!finished(step) || source.answerSeq === null) throw new AppError('not_found', `That run has not finished ${step}.`);
    await copyThrough(source.answerSeq);
    return { id, run: null };
  }

  return {
    fork,
    /**
     * Starts a run on one prompt: 404 unless the session owns the conversation, 409 while another run is in
     * progress, 429 past the session's quota.
     */
    startRun,
    /** The conversation's run in progress, to follow; null when nothing runs there, 404 unless the session owns it. */
    async findRun(conversationId: string, ownerId: string): Promise<RunHandle | null> {
      return (await runningIn(conversationId, ownerId)) ?? (await nothingRunsIn(conversationId, ownerId));
    },
    /** Stops the conversation's run: 404 unless the session owns it, 409 `no_run` when nothing runs there. */
    async cancelRun(conversationId: string, ownerId: string): Promise<RunHandle> {
      const run = (await runningIn(conversationId, ownerId)) ?? (await nothingRunsIn(conversationId, ownerId));
      if (!run) throw new AppError('no_run');
      run.cancel();
      return run;
    },
    /** Whether an answer is being written in the conversation, here or on another instance. */
    async isRunning(conversationId: string, ownerId: string): Promise<boolean> {
      return (await runningIn(conversationId, ownerId)) !== null;
    },
    /** Stops the conversation's run, wherever it runs, and waits until it is stored (before a delete). */
    async stopAndWait(conversationId: string, ownerId: string): Promise<void> {
      const run = await runningIn(conversationId, ownerId);
      if (!run) return;
      run.cancel();
      await run.finished;
    },
  };
}

async function defaultService() {
  const { db } = await getStore();
  const env = getEnv();
  return createRunService({
    db,
    models: getModels(),
    registry: runRegistry,
    quota: { runs: env.RATE_LIMIT_RUNS, windowS: env.RATE_LIMIT_WINDOW_S },
    preSteps: env.PRE_STEPS,
    placement: await configuredPlacement(db, runRegistry, env.RUN_LEASE_MS),
  });
}

export async function startRun(conversationId: string, ownerId: string, prompt: string, reuse?: ReusedAnalysis): Promise<RunHandle> {
  return (await defaultService()).startRun(conversationId, ownerId, prompt, reuse);
}

export async function forkConversation(conversationId: string, ownerId: string, body: ForkBody) {
  return (await defaultService()).fork(conversationId, ownerId, body);
}

export async function findRun(conversationId: string, ownerId: string): Promise<RunHandle | null> {
  return (await defaultService()).findRun(conversationId, ownerId);
}

export async function cancelRun(conversationId: string, ownerId: string): Promise<RunHandle> {
  return (await defaultService()).cancelRun(conversationId, ownerId);
}

/** Whether an answer is being written in a conversation the session owns (pages check ownership before asking). */
export async function isRunning(conversationId: string, ownerId: string): Promise<boolean> {
  return (await defaultService()).isRunning(conversationId, ownerId);
}

/** Stops whatever runs in the conversation, on any instance, and waits until it is stored. */
export async function stopRunAndWait(conversationId: string, ownerId: string): Promise<void> {
  return (await defaultService()).stopAndWait(conversationId, ownerId);
}
