import 'server-only';
import { randomUUID } from 'node:crypto';
import type { ExportDocument, StepStatus } from '@/lib/contract';
import type { AttachmentBody } from '@/lib/db/queries/attachments';
import { attachments, conversations, messages, runs, runSteps, type Db } from '@/lib/db/schema';

/** Rows per insert: PostgreSQL takes at most 65,535 parameters in one statement. */
const BATCH = 1000;

async function insertInBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>) {
  for (let first = 0; first < rows.length; first += BATCH) await insert(rows.slice(first, first + BATCH));
}

const dateOf = (text: string) => new Date(text);

/**
 * Writes an exported conversation as a new one of `ownerId`, in one transaction (nothing half-imported): its
 * messages and runs with new ids (each message still pointing at its run), the runs' steps with what they sent,
 * returned and left the machine in, so the trace and forks from its steps work. A run the document caught
 * running is stored as interrupted (nothing is writing it here). The fork origin is not kept: it names a
 * conversation of somewhere else.
 */
export async function insertImportedConversation(
  db: Db,
  ownerId: string,
  document: ExportDocument,
  /** The document's files by their ids in it, as they are to be stored (new ids). */
  files: Map<string, AttachmentBody> = new Map(),
): Promise<string> {
  const id = randomUUID();
  const runIds = new Map(document.runs.map((run) => [run.id, randomUUID()]));
  await db.transaction(async (tx) => {
    await tx.insert(conversations).values({
      id,
      ownerId,
      title: document.conversation.title,
      titleSource: 'user',
      createdAt: dateOf(document.conversation.createdAt),
    });
    // Oldest first, as they were written.
    const runRows = [...document.runs].reverse().map((run) => ({
      id: runIds.get(run.id)!,
      conversationId: id,
      prompt: run.prompt,
      status: run.status === 'running' ? ('interrupted' as const) : run.status,
      mode: run.mode,
      error: run.error,
      startedAt: dateOf(run.startedAt),
      endedAt: run.endedAt ? dateOf(run.endedAt) : run.status === 'running' ? dateOf(run.startedAt) : null,
    }));
    await insertInBatches(runRows, (batch) => tx.insert(runs).values(batch));
    const stepRows = document.runs.flatMap((run) =>
      run.steps.map((step, index) => {
        const startedAt = dateOf(step.startedAt);
        return {
          runId: runIds.get(run.id)!,
          seq: index + 1,
          name: step.name,
          status: (step.status === 'started' ? 'interrupted' : step.status) as StepStatus,
          input: step.input ?? null,
          output: step.output ?? null,
          snapshot: step.state,
          firstTokenAt: step.firstTokenMs === undefined ? null : new Date(startedAt.getTime() + step.firstTokenMs),
          usage: step.tokens ?? null,
          startedAt,
          endedAt: step.endedAt ? dateOf(step.endedAt) : null,
        };
      }),
    );
    await insertInBatches(stepRows, (batch) => tx.insert(runSteps).values(batch));
    const messageRows = document.messages.map((message) => ({
      id: randomUUID(),
      conversationId: id,
      runId: message.runId === undefined ? null : runIds.get(message.runId)!,
      role: message.role,
      content: message.content,
      type: message.type,
      mode: message.mode ?? null,
      status: message.status,
      reasoning: message.reasoning ?? null,
      reasoningMs: message.reasoningMs ?? null,
      attachments: message.attachments?.map((file) => {
        const { id: fileId, name, type, size } = files.get(file.id)!;
        return { id: fileId, name, type, size };
      }) ?? null,
      createdAt: dateOf(message.createdAt),
    }));
    await insertInBatches(messageRows, (batch) => tx.insert(messages).values(batch));
    // One file a statement: a batch of images could pass what one statement should carry.
    const now = new Date();
    for (const file of files.values()) await tx.insert(attachments).values({ ...file, conversationId: id, usedAt: now });
  });
  return id;
}
