import { useCallback, useEffect, useRef } from 'react';

/** How close to the bottom (px) still counts as being at the bottom: about two lines of text. */
const NEAR_BOTTOM_PX = 96;
/** Scroll moves smaller than this (px) are jitter, not the reader scrolling up. */
const SCROLL_JITTER_PX = 2;

/** Keys that scroll the page up. */
const SCROLL_UP_KEYS = new Set(['ArrowUp', 'PageUp', 'Home']);

const isEditable = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'INPUT');

const pageHeight = () => document.documentElement.scrollHeight;
const isNearBottom = () => window.innerHeight + window.scrollY >= pageHeight() - NEAR_BOTTOM_PX;
const scrollToBottom = () => window.scrollTo({ top: pageHeight() });

/**
 * Keeps the page at the bottom while it grows (an answer streaming in, off-screen parts taking their real height,
 * the prompt box changing its buttons), unless the reader scrolls up to read something else; reaching the bottom
 * again resumes following. `follow()` resumes it on purpose (a new prompt).
 */
export function useFollowScroll() {
  const following = useRef(true);
  // While following, this hook alone places the page: the browser's scroll anchoring would move it up whenever
  // content above the view shrinks as much as the content below grows (an answer finishing: its progress line
  // gone, its token count in). Reading further up, anchoring keeps the reader's place as it should.
  const setFollowing = useCallback((value: boolean) => {
    following.current = value;
    document.documentElement.style.overflowAnchor = value ? 'none' : '';
  }, []);

  useEffect(() => {
    let lastY = window.scrollY;
    // The browser moves the page by itself too (keeping the view anchored as content above it takes its real
    // size), so only a move up that the reader makes stops following: the wheel, a touch, a key, or dragging the
    // scrollbar (a pointer held down on the page itself rather than on anything in it).
    let dragging = false;
    const onScroll = () => {
      const y = window.scrollY;
      if (dragging && y < lastY - SCROLL_JITTER_PX) setFollowing(false);
      // Only a move down reaches the bottom again: the first frames of a smooth scroll up are still near it.
      else if (y > lastY && isNearBottom() && !following.current) setFollowing(true);
      lastY = y;
    };
    const stop = () => setFollowing(false);
    // The reader's intent, as it happens: a smooth scroll up reports its first `scroll` a frame later, and growth
    // in between would pull the page back down (and cancel the reader's scroll).
    const onWheel = (event: WheelEvent) => event.deltaY < 0 && stop();
    // Keys typed in the prompt box move its caret, not the page.
    const onKey = (event: KeyboardEvent) => SCROLL_UP_KEYS.has(event.key) && !isEditable(event.target) && stop();
    const onPointerDown = (event: PointerEvent) => void (dragging = event.target === document.documentElement);
    const onPointerUp = () => void (dragging = false);
    window.addEventListener('scroll', onScroll, { passive: true });
    window.addEventListener('wheel', onWheel, { passive: true });
    window.addEventListener('touchmove', stop, { passive: true });
    window.addEventListener('keydown', onKey);
    window.addEventListener('pointerdown', onPointerDown);
    window.addEventListener('pointerup', onPointerUp);
    // Growth is seen after layout and before paint: the page follows without a frame left behind.
    const growth = new ResizeObserver(() => {
      if (!following.current) return;
      scrollToBottom();
      lastY = window.scrollY;
    });
    growth.observe(document.body);
    setFollowing(true);
    scrollToBottom();
    return () => {
      document.documentElement.style.overflowAnchor = '';
      growth.disconnect();
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('wheel', onWheel);
      window.removeEventListener('touchmove', stop);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('pointerdown', onPointerDown);
      window.removeEventListener('pointerup', onPointerUp);
    };
  }, [setFollowing]);

  return useCallback(() => setFollowing(true), [setFollowing]);
}
