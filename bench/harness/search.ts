/**
 * Search over a big history: 10,000 conversations of 10 messages each, all one visitor's (the worst case for one
 * person), seeded straight into the store, then searched through `GET /api/conversations?q=` as the sidebar does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '@/lib/db/client';
import { conversations, messages } from '@/lib/db/schema';
import { newSessionToken, ownerOf } from '@/lib/services/session-tokens';
import type { NextServer } from '../../tests/helpers/app-server';
import { createClient } from '../../tests/helpers/api-client';
import { percentile } from './measure';

export type SearchFigures = { conversations: number; messages: number; searches: number; p50Ms: number; p99Ms: number; seedSeconds: number };

/** A small deterministic generator, so every run searches the same history. */
function generator(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words search is asked about, placed among the rest from common (river) to rare (the end of the list). */
const TOPIC_WORDS = (
  'river water tide moon glacier delta estuary ocean current wave rain cloud storm wind mountain valley lake stream ' +
  'bridge harbour ship island coast beach forest tree bird fish whale heron otter function code script program ' +
  'query table index server client request response error retry timeout poem verse rhyme stanza sonnet haiku ' +
  'melody rhythm story chapter letter question answer reason cause effect history future'
).split(' ');
const STOP_WORDS = 'the a of to and in is it that for on with as was at by this be are from or have an but not what all were when we there can which their if do will each about how'.split(' ');
const VOCABULARY_SIZE = 8000;
const SYLLABLES = 'ba be bi bo ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi vo'.split(' ');

/**
 * A vocabulary of 8,000 words as text uses them: stop words first, the topic words every tenth rank after them, and
 * made-up words around them; word number r comes up in proportion to 1/r (Zipf's law, as in real writing).
 */
function vocabulary(): { words: string[]; cumulative: number[] } {
  const words = [...STOP_WORDS];
  let made = 0;
  const madeUp = () => {
    const n = made++;
    return `${SYLLABLES[n % SYLLABLES.length]}${SYLLABLES[Math.floor(n / SYLLABLES.length) % SYLLABLES.length]}${SYLLABLES[Math.floor(n / SYLLABLES.length ** 2) % SYLLABLES.length]}`;
  };
  for (let topic = 0; words.length < VOCABULARY_SIZE; ) {
    words.push(words.length % 10 === 0 && topic < TOPIC_WORDS.length ? TOPIC_WORDS[topic++]! : madeUp());
  }
  let total = 0;
  const cumulative = words.map((_, rank) => (total += 1 / (rank + 1)));
  return { words, cumulative: cumulative.map((c) => c / total) };
}

function sentenceMaker(random: () => number) {
  const { words, cumulative } = vocabulary();
  const pick = () => {
    const target = random();
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return words[low]!;
  };
  return (length: number) => Array.from({ length }, pick).join(' ');
}

/** What the person types: common and rare words, two words, and words half typed. */
const QUERIES = ['river', 'tide moon', 'glacier', 'func', 'heron', 'stanza', 'harbour ship', 'timeou', 'why does the rain', 'history of the delta'];

export const HISTORY = { conversations: 10_000, messagesEach: 10 };

/** Seeds the history into the store at `databaseUrl` or `dataDir`, for the visitor whose token it returns. */
export async function seedHistory(target: Parameters<typeof openStore>[0], count: number, perConversation: number): Promise<string> {
  const token = newSessionToken();
  const owner = ownerOf(token);
  const store = await openStore(target);
  const sentence = sentenceMaker(generator(20261203));
  try {
    const batch = 200;
    for (let first = 0; first < count; first += batch) {
      const rows = Array.from({ length: Math.min(batch, count - first) }, () => ({ id: crypto.randomUUID(), ownerId: owner, title: sentence(5) }));
      await store.db.insert(conversations).values(rows);
      await store.db.insert(messages).values(
        rows.flatMap((conversation) =>
          Array.from({ length: perConversation }, (_, n) => ({
            id: crypto.randomUUID(),
            conversationId: conversation.id,
            role: n % 2 ? ('assistant' as const) : ('user' as const),
            content: sentence(n % 2 ? 60 : 12),
            type: 'text' as const,
            status: 'complete' as const,
          })),
        ),
      );
    }
  } finally {
    await store.close();
  }
  return token;
}

/** `rounds` passes over the queries, one search at a time, each timed from request to the whole answer read. */
export async function measureSearch(server: NextServer, token: string, rounds: number): Promise<Pick<SearchFigures, 'searches' | 'p50Ms' | 'p99Ms'>> {
  const client = createClient(server.url, token);
  const timings: number[] = [];
  // The first searches load the route and warm the store's caches: not counted.
  for (const q of QUERIES) await (await client.fetch(`/api/conversations?q=${encodeURIComponent(q)}`)).arrayBuffer();
  for (let round = 0; round < rounds; round++) {
    for (const q of QUERIES) {
      const started = performance.now();
      const response = await client.fetch(`/api/conversations?q=${encodeURIComponent(q)}`);
      const body = (await response.json()) as { conversations?: unknown[] };
      if (response.status !== 200 || !Array.isArray(body.conversations)) throw new Error(`search "${q}": HTTP ${response.status}`);
      timings.push(performance.now() - started);
    }
  }
  return { searches: timings.length, p50Ms: percentile(timings, 50), p99Ms: percentile(timings, 99) };
}

/** A fresh data directory for PGlite, removed with the returned function. */
export async function scratchDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-search-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
