import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_FORMAT, ExportDocumentSchema, type ExportDocument } from '@/lib/contract';
import { openStore, type Store } from '@/lib/db/client';
import { selectConversations } from '@/lib/db/queries/conversations';
import { insertImportedConversation } from '@/lib/db/queries/imports';
import { listMessages } from '@/lib/db/queries/messages';
import { listRunTraces } from '@/lib/db/queries/traces';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => store?.close());

const at = '2026-12-03T10:00:00.000Z';
const runId = crypto.randomUUID();
const document: ExportDocument = {
  format: EXPORT_FORMAT,
  version: 1,
  conversation: { title: 'Tides', createdAt: at },
  messages: [
    { id: crypto.randomUUID(), role: 'user', content: 'How do tides work?', type: 'text', status: 'complete', createdAt: at, runId },
    { id: crypto.randomUUID(), role: 'assistant', content: 'The moon pulls.', type: 'text', mode: 'answer_question', status: 'complete', createdAt: at, runId },
  ],
  runs: [
    {
      id: runId,
      prompt: 'How do tides work?',
      startedAt: at,
      endedAt: null,
      status: 'running',
      mode: 'answer_question',
      error: null,
      steps: [{ name: 'answer_question', status: 'started', startedAt: at, endedAt: null, firstTokenMs: 120, input: { model: 'm' }, output: null, state: null }],
    },
  ],
};

describe('writing an imported conversation', () => {
  it('writes it whole under new ids; a run caught running comes in interrupted, its steps too', async () => {
    const id = await insertImportedConversation(store.db, 'importer', document);
    const messages = await listMessages(store.db, id);
    expect(messages.map((m) => m.content)).toEqual(['How do tides work?', 'The moon pulls.']);
    const [run] = await listRunTraces(store.db, id);
    expect(run).toMatchObject({ prompt: 'How do tides work?', status: 'interrupted', endedAt: at });
    expect(run!.id).not.toBe(runId);
    expect(messages.every((m) => m.runId === run!.id)).toBe(true);
    expect(run!.steps).toEqual([expect.objectContaining({ name: 'answer_question', status: 'interrupted', firstTokenMs: 120, input: { model: 'm' } })]);
  });

  it('writes nothing when the store refuses any part of it: one transaction', async () => {
    // Past the contract's check (which refuses NUL), the store refuses it in the last insert of the import.
    const refused = { ...document, messages: [document.messages[0]!, { ...document.messages[1]!, content: 'a\u0000b' }] };
    await expect(insertImportedConversation(store.db, 'refused-importer', refused)).rejects.toThrow();
    expect(await selectConversations(store.db, 'refused-importer')).toEqual([]);
  });

  it('is refused before any write by the contract for dates the store cannot hold', () => {
    const farFuture = { ...document, conversation: { ...document.conversation, createdAt: '+275760-09-13T00:00:00.000Z' } };
    expect(ExportDocumentSchema.safeParse(farFuture).success).toBe(false);
    expect(ExportDocumentSchema.safeParse(document).success).toBe(true);
  });
});
