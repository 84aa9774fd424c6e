import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';

/** How close to the bottom (px) still counts as being at the bottom: about two lines of text. */
const NEAR_BOTTOM_PX = 96;
/** Scroll moves smaller than this (px) are layout jitter, not the reader scrolling up. */
const SCROLL_JITTER_PX = 2;

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
    window.addEventListener('scroll', onScroll, { passive: true });
    scrollToBottom();
    return () => window.removeEventListener('scroll', onScroll);
  }, []);

  useLayoutEffect(() => {
    if (content && following.current) scrollToBottom();
  }, [content]);

  return useCallback(() => {
    following.current = true;
  }, []);
}
