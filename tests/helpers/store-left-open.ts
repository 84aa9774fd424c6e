/**
 * A script that opens the embedded store (migrating a new one), reads from it and never closes it, as a one-off script
 * might. Run by tests/store/pglite-thread.test.ts, which checks that the process still exits once its work is done.
 */
import { openStore } from '@/lib/db/client';
import { conversations } from '@/lib/db/schema';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-left-open.ts <data dir>');
const store = await openStore({ dataDir });
const stored = await store.db.select({ id: conversations.id }).from(conversations);
console.log(`read ${stored.length} conversations`);
