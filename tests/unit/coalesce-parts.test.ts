import { describe, expect, it } from 'vitest';
import { coalesceReadyParts } from '@/lib/llm/coalesce-parts';
import type { ResponsePart } from '@/lib/llm/types';

const text = (value: string): ResponsePart => ({ type: 'text', text: value });
const reasoning = (value: string): ResponsePart => ({ type: 'reasoning', text: value });
/** A later turn of the event loop, as the next read from a socket is. */
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 2));

/** A model's parts; 'turn' waits for a later turn of the event loop, as between two reads of a socket. */
async function* model(items: (ResponsePart | 'turn')[], failure?: Error) {
  for (const item of items) {
    if (item === 'turn') await nextTurn();
    // An await per part, as the SDK's stream has even for chunks read together.
    else yield await Promise.resolve(item);
  }
  if (failure) throw failure;
}

async function read(parts: AsyncIterable<ResponsePart>) {
  const out: ResponsePart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

describe('joining the parts that are ready together', () => {
  it('joins the parts read in one turn, and keeps the parts of later turns apart', async () => {
    const parts = await read(coalesceReadyParts(model([text('a '), text('b '), text('c '), 'turn', text('d '), 'turn', text('e'), text('f')])));
    expect(parts).toEqual([text('a b c '), text('d '), text('ef')]);
  });

  it('hands on a part at once when nothing else is ready: one token at a time is not held back', async () => {
    const seen: string[] = [];
    const source = (async function* () {
      yield text('first');
      seen.push('source waits');
      await nextTurn();
      seen.push('source goes on');
      yield text('second');
    })();
    for await (const part of coalesceReadyParts(source)) seen.push(part.text);
    expect(seen).toEqual(['source waits', 'first', 'source goes on', 'second']);
  });

  it('keeps text and reasoning apart, in their order', async () => {
    const parts = await read(coalesceReadyParts(model([reasoning('hm '), reasoning('so '), text('The '), text('answer'), reasoning('!')])));
    expect(parts).toEqual([reasoning('hm so '), text('The answer'), reasoning('!')]);
  });

  it('hands on what was read before a failure, then the failure', async () => {
    const out: ResponsePart[] = [];
    const failure = new Error('connection reset');
    await expect(
      (async () => {
        for await (const part of coalesceReadyParts(model([text('a '), 'turn', text('b '), text('c ')], failure))) out.push(part);
      })(),
    ).rejects.toBe(failure);
    expect(out).toEqual([text('a '), text('b c ')]);
  });

  it('ends the model stream when its reader stops early', async () => {
    let ended = false;
    const source = (async function* () {
      try {
        for (let i = 0; ; i++) {
          yield text(`t${i} `);
          await nextTurn();
        }
      } finally {
        ended = true;
      }
    })();
    for await (const part of coalesceReadyParts(source)) if (part.text === 't2 ') break;
    // The read under way settles at the next part; the source then ends instead of going on.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toBe(true);
  });
});
