import 'server-only';
import type { RunHandle } from '@/lib/agent/run-registry';
import type { RunService } from '@/lib/agent/run-service';
import { findConversation } from '@/lib/db/queries/conversations';
import { AppError } from '@/lib/errors';

/** The conversation's run, in this process or (with several instances) in another; null when none runs. */
async function runningIn({ registry, placement }: RunService, conversationId: string, ownerId: string): Promise<RunHandle | null> {
  return registry.find(conversationId, ownerId) ?? placement.runningElsewhere(conversationId, ownerId);
}

/** Where no run of the session was found: null for its conversation, 404 for any other id. */
async function nothingRunsIn({ db }: RunService, conversationId: string, ownerId: string): Promise<null> {
  if (!(await findConversation(db, conversationId, ownerId))) throw new AppError('not_found');
  return null;
}

/** The conversation's run in progress, to follow; null when nothing runs there, 404 unless the session owns it. */
export async function findRun(service: RunService, conversationId: string, ownerId: string): Promise<RunHandle | null> {
  return (await runningIn(service, conversationId, ownerId)) ?? (await nothingRunsIn(service, conversationId, ownerId));
}

/** Stops the conversation's run: 404 unless the session owns it, 409 `no_run` when nothing runs there. */
export async function cancelRun(service: RunService, conversationId: string, ownerId: string): Promise<RunHandle> {
  const run = await findRun(service, conversationId, ownerId);
  if (!run) throw new AppError('no_run');
  run.cancel();
  return run;
}

/** Whether an answer is being written in the conversation, here or on another instance (ownership checked before). */
export async function isRunning(service: RunService, conversationId: string, ownerId: string): Promise<boolean> {
  return (await runningIn(service, conversationId, ownerId)) !== null;
}

/** Stops the conversation's run, wherever it runs, and waits until it is stored (before a delete). */
export async function stopRunAndWait(service: RunService, conversationId: string, ownerId: string): Promise<void> {
  const run = await runningIn(service, conversationId, ownerId);
  if (!run) return;
  run.cancel();
  await run.finished;
}
