import 'server-only';
import { randomUUID } from 'node:crypto';
import { toMode, toSafetyVerdict } from '@/lib/agent/machine';
import type { RunHandle } from '@/lib/agent/run-registry';
import type { RunService } from '@/lib/agent/run-service';
import { startRun, type ReusedAnalysis } from '@/lib/agent/start-run';
import type { ForkBody } from '@/lib/contract';
import { deleteConversationRow } from '@/lib/db/queries/conversations';
import { createFork, findForkSource } from '@/lib/db/queries/forks';
import { AppError } from '@/lib/errors';

/**
 * A new conversation from a step of a run, the original untouched. At `prompt` the whole flow runs again (with
 * a replacement prompt: an edit); at `check_safety` or `decide_mode` only the response is written again, with
 * the run's verdict and mode (a regenerate); at the response step the finished turn is copied and the fork waits
 * for its next prompt. 404 for a run the session's conversation does not have, or a step it has not finished.
 */
export async function forkConversation(
  service: RunService,
  conversationId: string,
  ownerId: string,
  { runId, step, prompt }: ForkBody,
): Promise<{ id: string; run: RunHandle | null }> {
  const { db } = service;
  const source = await findForkSource(db, conversationId, ownerId, runId);
  if (!source || source.promptSeq === null) throw new AppError('not_found', 'No such run, or no such step of it, in this conversation.');
  const finished = (name: string) => source.steps.find((s) => s.name === name && s.status === 'completed');
  const id = randomUUID();
  const parent = { conversationId, runId, step };
  const files = source.promptFiles.map((file) => file.id);
  /** Copies the messages through `throughSeq`; a fork that runs the prompt again takes its files too. */
  const copyThrough = async (throughSeq: number, carry: string[] = []) =>
    createFork(db, { id, ownerId, parent, throughSeq, title: source.title, carry });

  const startInFork = async (text: string, reuse?: ReusedAnalysis) => {
    try {
      return await startRun(service, id, ownerId, text, { reuse, attachments: files });
    } catch (error) {
      // A fork whose run could not start (the rate limit) is not left behind empty.
      await deleteConversationRow(db, id, ownerId);
      throw error;
    }
  };

  if (step === 'prompt') {
    await copyThrough(source.promptSeq - 1, files);
    return { id, run: await startInFork(prompt ?? source.prompt) };
  }
  if (step === 'check_safety' || step === 'decide_mode') {
    const safety = finished('check_safety');
    const decided = finished('decide_mode');
    if (!finished(step) || !safety || !decided) throw new AppError('not_found', `That run has not finished ${step}.`);
    await copyThrough(source.promptSeq - 1, files);
    const reuse = { safety: toSafetyVerdict(safety.output), mode: toMode(decided.output) };
    return { id, run: await startInFork(source.prompt, reuse) };
  }
  if (!finished(step) || source.answerSeq === null) throw new AppError('not_found', `That run has not finished ${step}.`);
  await copyThrough(source.answerSeq);
  return { id, run: null };
}
