import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@/lib/db/client';
import { insertConversation, updateConversationTitle } from '@/lib/db/queries/conversations';
import { searchConversations } from '@/lib/db/queries/search';
import { messages } from '@/lib/db/schema';
import { toSearchTerms } from '@/lib/search/search-terms';
import { snippetFromHeadline } from '@/lib/search/snippet';

describe('search terms', () => {
  it('are the words typed, all required, the last a prefix while it is being typed', () => {
    expect(toSearchTerms('Rivers flow')).toBe("'rivers' & 'flow':*");
    expect(toSearchTerms('rivers flow ')).toBe("'rivers' & 'flow'");
    expect(toSearchTerms('  RIVE')).toBe("'rive':*");
  });

  it('leave nothing of the query syntax: operators, quotes, wildcards and NUL only separate words', () => {
    expect(toSearchTerms(`it's a "quote" & | ! ( ) : * % _ \\ <-> \u0000x`)).toBe("'it' & 's' & 'a' & 'quote' & 'x':*");
    for (const odd of ['', '   ', '&|!():*', "'''", '%_\\', '\u0000', '\ufffd\ufffd']) expect(toSearchTerms(odd)).toBeNull();
  });

  it('keep the words of any script, marks included, and stay bounded for a long query', () => {
    expect(toSearchTerms('हिन्दी नदी')).toBe("'हिन्दी' & 'नदी':*");
    expect(toSearchTerms('河流 Ｒｉｖｅｒ')).toBe("'河流' & 'river':*");
    const long = toSearchTerms('word '.repeat(400) + 'x'.repeat(2000))!;
    expect(long.split(' & ')).toHaveLength(32);
    expect(long.length).toBeLessThan(400);
  });
});

describe('a snippet from the store’s headline', () => {
  it('is plain text with the offsets of each match, in UTF-16 code units', () => {
    const snippet = snippetFromHeadline(' How do \u0001rivers\u0002 form 🌊 and why do \u0001rivers\u0002 bend? ');
    expect(snippet.text).toBe('How do rivers form 🌊 and why do rivers bend?');
    expect(snippet.highlights.map(([start, end]) => snippet.text.slice(start, end))).toEqual(['rivers', 'rivers']);
    expect(snippet.highlights[1]![0]).toBe(snippet.text.lastIndexOf('rivers'));
  });

  it('holds no markers, and no empty highlight', () => {
    const snippet = snippetFromHeadline('a \u0001\u0002b \u0001c');
    expect(snippet).toEqual({ text: 'a b c', highlights: [] });
  });
});

describe('searching a session’s conversations in the store', () => {
  let store: Store;
  const OWNER = 'searching-owner';
  const ids: Record<string, string> = {};

  async function conversation(key: string, title: string, contents: string[], owner = OWNER) {
    const id = crypto.randomUUID();
    ids[key] = id;
    await insertConversation(store.db, { id, ownerId: owner });
    await updateConversationTitle(store.db, id, owner, title);
    for (const [index, content] of contents.entries()) {
      await store.db.insert(messages).values({ id: crypto.randomUUID(), conversationId: id, role: index % 2 ? 'assistant' : 'user', content, type: 'text', status: 'complete' });
    }
  }
  const search = async (q: string, owner = OWNER) => {
    const terms = toSearchTerms(q);
    return terms ? searchConversations(store.db, owner, terms) : [];
  };
  const found = async (q: string) => (await search(q)).map((hit) => Object.entries(ids).find(([, id]) => id === hit.id)?.[0]);

  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    await conversation('rivers', 'Water questions', ['How do rivers form?', 'Rivers form where rain gathers into streams, and the streams join.']);
    await conversation('tides', 'Tides and the moon', ['Why are there two tides a day?', 'The moon pulls the oceans; the Earth turns beneath the bulges.']);
    await conversation('code', 'A river of code', ['Write a function that sums a list', '```ts\nconst sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n```']);
    await conversation('other', 'Rivers, someone else’s', ['rivers and tides and the moon'], 'another-owner');
  });
  afterAll(async () => store?.close());

  it('finds by stem and case, the last word as a prefix, every word required', async () => {
    expect(await found('RIVER')).toEqual(expect.arrayContaining(['rivers', 'code']));
    expect(await found('rive')).toEqual(expect.arrayContaining(['rivers', 'code']));
    expect(await found('streams joined')).toEqual(['rivers']);
    expect(await found('moon pulls')).toEqual(['tides']);
    expect(await found('moon rivers')).toEqual([]);
    expect(await found('reduce')).toEqual(['code']);
  });

  it('never finds another owner’s conversations', async () => {
    expect(await found('someone')).toEqual([]);
    expect((await search('rivers tides moon', 'another-owner')).map((hit) => hit.id)).toEqual([ids.other]);
  });

  it('puts a title match first, and gives each hit a snippet whose highlights are the matched words', async () => {
    const hits = await search('river');
    expect(hits[0]?.id).toBe(ids.code);
    for (const hit of hits) {
      expect(hit.snippet.highlights.length).toBeGreaterThan(0);
      for (const [start, end] of hit.snippet.highlights) expect(hit.snippet.text.slice(start, end).toLowerCase()).toMatch(/^river/);
    }
    const rivers = hits.find((hit) => hit.id === ids.rivers)!;
    expect(rivers.snippet.text.toLowerCase()).toContain('rivers form');
    expect(rivers.title).toBe('Water questions');
  });

  it('takes any input without failing', async () => {
    for (const odd of ["'", '"', '%', '_', '\\', '&|!():*', '\u0000', '\ufffd', 'a'.repeat(2000), 'どうして川は', '<->', 'moon:*', "x' | 'y"]) {
      await expect(search(odd)).resolves.toBeInstanceOf(Array);
    }
  });
});
