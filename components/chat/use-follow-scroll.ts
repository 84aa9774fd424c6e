import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';

/** How close to the bottom (px) still counts as being at the bottom: about two lines of text. */
const NEAR_BOTTOM_PX = 96;
/** Scroll moves smaller than this (px) are layout jitter, not the reader scrolling up. */
const SCROLL_JITTER_PX = 2;

/** Keys that scroll the page up. */
const SCROLL_UP_KEYS = new Set(['ArrowUp', 'PageUp', 'Home']);

const isEditable = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'INPUT');

const isNearBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - NEAR_BOTTOM_PX;
const scrollToBottom = () => window.scrollTo({ top: document.documentElement.scrollHeight });

/**
 * Keeps the page at the bottom while `content` grows, unless the reader scrolls up to read something else;
 * reaching the bottom again resumes following. `follow()` resumes it on purpose (a new prompt).
 */
export function useFollowScroll(content: unknown) {
  const following = useRef(true);

  useEffect(() => {
    let lastY = window.scrollY;
    // Any move up is the reader's: following only ever scrolls down.
    const onScroll = () => {
      const y = window.scrollY;
      if (y < lastY - SCROLL_JITTER_PX) following.current = false;
      else if (isNearBottom()) following.current = true;
      lastY = y;
    };
    // The reader's intent, as it happens: a smooth scroll up reports its first `scroll` a frame later, and a
    // delta arriving in between would pull the page back down (and cancel the reader's scroll).
    const stop = () => void (following.current = false);
    const onWheel = (event: WheelEvent) => event.deltaY < 0 && stop();
    // Keys typed in the prompt box move its caret, not the page.
    const onKey = (event: KeyboardEvent) => SCROLL_UP_KEYS.has(event.key) && !isEditable(event.target) && stop();
    window.addEventListener('scroll', onScroll, { passive: true });
    window.addEventListener('wheel', onWheel, { passive: true });
    window.addEventListener('touchmove', stop, { passive: true });
    window.addEventListener('keydown', onKey);
    scrollToBottom();
    return () => {
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('wheel', onWheel);
      window.removeEventListener('touchmove', stop);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  useLayoutEffect(() => {
    if (content && following.current) scrollToBottom();
  }, [content]);

  return useCallback(() => {
    following.current = true;
  }, []);
}
