import 'server-only';
import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import type { RunHandle } from '@/lib/agent/run-registry';
import { titleFromPrompt } from '@/lib/agent/titles';
import type { AgentMachine, RunService } from '@/lib/agent/run-service';
import { wireRun } from '@/lib/agent/run-wiring';
import type { Attachment, ChatItem, Mode } from '@/lib/contract';
import { findUnsentAttachments } from '@/lib/db/queries/attachments';
import { listMessages } from '@/lib/db/queries/messages';
import { beginTurn, finishRun, type BegunTurn } from '@/lib/db/queries/turns';
import { AppError, toAppError } from '@/lib/errors';
import { startRunSpan } from '@/lib/telemetry/spans';
import type { ChatTurn, SafetyVerdict } from '@/lib/llm/types';

type AgentActor = Actor<AgentMachine>;

/** An earlier run's verdict and mode, for a run that only writes the response again (a regenerate). */
export type ReusedAnalysis = { safety: SafetyVerdict; mode: Mode };

export type RunOptions = {
  /** Ids of the conversation's unsent uploads that go with the prompt. */
  attachments?: string[] | undefined;
  reuse?: ReusedAnalysis | undefined;
};

/**
 * Starts a run on one prompt: 404 unless the session owns the conversation, 409 while another run is in
 * progress, 429 past the session's quota, 400 for files that are not the conversation's unsent uploads. Only the
 * user message waits on the store before the model calls begin.
 */
export function startRun(service: RunService, conversationId: string, ownerId: string, prompt: string, options: RunOptions = {}): Promise<RunHandle> {
  return service.registry.start(conversationId, ownerId, () => launchRun(service, { conversationId, ownerId, prompt, ...options }));
}

/** What the model sees of stored messages: error notes are the app's, not the conversation's. */
function toTurns(items: ChatItem[]): ChatTurn[] {
  return items
    .filter((item) => item.type !== 'error' && item.content !== '')
    .map(({ role, content, attachments }) => (attachments ? { role, content, attachments } : { role, content }));
}

/** The prompt's files, in the order given: 400 unless each is an upload of this conversation no prompt has taken. */
async function takeFiles(service: RunService, conversationId: string, ownerId: string, ids: string[]): Promise<Attachment[]> {
  if (ids.length === 0) return [];
  const found = new Map((await findUnsentAttachments(service.db, conversationId, ownerId, ids)).map((file) => [file.id, file]));
  return ids.map((id, index) => {
    const file = found.get(id);
    if (!file) throw new AppError('invalid_body', `attachments[${index}]: not an upload of this conversation waiting to be sent.`);
    return file;
  });
}

/** The agent as it was at the end of the last turn; null when there is no usable snapshot. */
function restoreActor(machine: AgentMachine, snapshot: unknown): AgentActor | null {
  if (!snapshot) return null;
  try {
    return createActor(machine, { snapshot: snapshot as SnapshotFrom<AgentMachine>, input: {} });
  } catch (error) {
    console.warn('[sluice] stored agent snapshot could not be restored; rebuilding from messages', error);
    return null;
  }
}

function refusal(turn: Exclude<BegunTurn, { status: 'begun' }>): AppError {
  if (turn.status === 'not_found') return new AppError('not_found');
  if (turn.status === 'busy') return new AppError('run_in_progress');
  const { retryAfterS } = turn;
  return new AppError('rate_limited', `Too many prompts in a short time: you can send the next in ${retryAfterS} s.`, { retryAfterS });
}

async function launchRun(
  service: RunService,
  { conversationId, ownerId, prompt, reuse, attachments: fileIds = [] }: { conversationId: string; ownerId: string; prompt: string } & RunOptions,
): Promise<RunHandle> {
  const { db, placement, quota } = service;
  const runId = randomUUID();
  const userMessageId = randomUUID();
  const files = await takeFiles(service, conversationId, ownerId, fileIds);
  // An answer held through a store outage closes the conversation's last run: it is stored first (or this prompt
  // is refused with `store_unavailable` while the store still refuses it).
  await service.held.settle(conversationId);
  const claim = await placement.claim(runId);
  const begin = () =>
    beginTurn(db, { conversationId, ownerId, runId, messageId: userMessageId, prompt, title: titleFromPrompt(prompt), attachments: files }, quota);
  let turn: BegunTurn;
  try {
    turn = await begin();
    if (turn.status === 'busy' && (await placement.reclaimLostRun(conversationId, ownerId))) {
      turn = await begin();
    }
  } catch (error) {
    claim.release();
    throw error;
  }
  if (turn.status !== 'begun') {
    claim.release();
    throw refusal(turn);
  }

  // The run's span, under the request that started it; its steps and model calls (the title's too) go under it.
  const span = startRunSpan({ conversationId, runId });
  // A new conversation's first prompt: a model writes its title beside the run, never in front of it: its request
  // is made once the run's own first model requests are under way (in the next turn of the event loop).
  const title =
    turn.priorMessages === 0 && !reuse
      ? new Promise<string | null>((resolve) => setImmediate(() => resolve(span.within(() => service.writeTitle(prompt)))))
      : null;
  // The messages before this prompt, for the `chat_history` event; read beside the model calls, not before them.
  const history: Promise<ChatItem[]> =
    turn.priorMessages === 0
      ? Promise.resolve([])
      : listMessages(db, conversationId).then((items) => items.filter((item) => item.id !== userMessageId));
  let actor: AgentActor;
  try {
    // Without a snapshot (a new conversation, or one that cannot be restored) the history comes from the messages.
    actor = restoreActor(service.machine, turn.snapshot) ?? createActor(service.machine, { input: { history: toTurns(await history) } });
  } catch (error) {
    // The run row would otherwise stay running and hold the conversation (one running run each, in the database).
    const info = toAppError(error).toInfo();
    await finishRun(db, runId, { status: 'error', mode: null, error: info }).catch(() => undefined);
    span.end({ status: 'error', mode: null, errorCode: info.code });
    claim.release();
    throw error;
  }
  const run = wireRun(service, { actor, runId, conversationId, prompt, history, claim, title, span });
  const withFiles = files.length > 0 ? { attachments: files } : {};
  // Started in the run's context: each step's span hangs under the run's.
  span.within(() => {
    actor.start();
    actor.send(reuse ? { type: 'user.regenerate', prompt, ...withFiles, ...reuse } : { type: 'user.prompt', prompt, ...withFiles });
  });
  return run;
}
