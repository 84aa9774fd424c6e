/**
 * The chat page streaming a long Markdown answer in Chromium: the longest main-thread task while it streams, and
 * the main thread's time per 1,000 characters over each quarter of the answer (flat when rendering grows
 * linearly with the answer, rising when it grows faster).
 */
import { writeFile } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from '../../tests/e2e/chromium';

export type BrowserFigures = {
  tokens: number;
  characters: number;
  seconds: number;
  longestTaskMs: number;
  tasksOver50Ms: number;
  /** Main-thread time spent running script while the answer streamed. */
  scriptingMs: number;
  /** All main-thread work (script, style, layout, paint) while the answer streamed. */
  mainThreadMs: number;
  /** Main-thread ms per 1,000 characters in each quarter of the answer. */
  mainThreadMsPer1kCharsByQuarter: number[];
  /** Main-thread time by the trace's kind of work (script called from events and timers, style, layout, paint). */
  mainThreadMsByKind: Record<string, number>;
  /** Tasks over 50 ms, each with where it fell between the prompt (0) and the end of the trace (1). */
  /** Each task over 50 ms: its length, where it fell (0: the prompt sent, 1: the stored answer shown), what it did. */
  longTasks: { ms: number; at: number; kinds: string }[];
  /** With a CPU profile: for each task over 50 ms, the functions that ran longest in it (self time). */
  hotInLongTasks?: { taskMs: number; hot: { fn: string; ms: number }[] }[];
  /**
   * The same answer streamed again with no tracer and no profiler attached (they slow the page down), its tasks
   * seen by the page's own Long Tasks API: what a reader's browser does.
   */
  untraced?: { longestTaskMs: number; tasksOver50Ms: number; longTasksMs: number[]; longFrames?: LongFrame[] };
};

/**
 * A frame over 50 ms as the page's Long Animation Frames API saw it: when (ms after the prompt), how long, how much of
 * it was rendering (style, layout, paint), and the scripts that ran longest in it.
 */
export type LongFrame = { at: number; ms: number; renderMs: number; styleAndLayoutMs: number; scripts: string[] };

/** Tasks over 50 ms the page itself saw (the Long Tasks API), collected from before its first script runs. */
function observeLongTasks() {
  const seen: number[] = [];
  const frames: PerformanceEntry[] = [];
  Object.assign(window, { __longTasks: seen, __longFrames: frames });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.push(entry.duration);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) frames.push(entry);
  }).observe({ type: 'long-animation-frame', buffered: true });
}

/** The long animation frames over 50 ms since `from` (the page's clock), summarised (see LongFrame). */
function longFramesSince(from: number) {
  type Script = { invoker: string; sourceURL: string; sourceFunctionName: string; duration: number; forcedStyleAndLayoutDuration: number };
  type Frame = PerformanceEntry & { renderStart: number; styleAndLayoutStart: number; scripts: Script[] };
  const frames = (window as unknown as { __longFrames: Frame[] }).__longFrames;
  return frames
    .filter((frame) => frame.startTime >= from && frame.duration > 50)
    .map((frame) => {
      const end = frame.startTime + frame.duration;
      return {
        at: Math.round(frame.startTime - from),
        ms: Math.round(frame.duration),
        renderMs: Math.round(frame.renderStart ? end - frame.renderStart : 0),
        styleAndLayoutMs: Math.round(frame.styleAndLayoutStart ? end - frame.styleAndLayoutStart : 0),
        scripts: [...frame.scripts]
          .sort((a, b) => b.duration - a.duration)
          .slice(0, 3)
          .map((script) => {
            const file = script.sourceURL.split('/').at(-1) ?? '';
            const forced = script.forcedStyleAndLayoutDuration ? `, forced layout ${Math.round(script.forcedStyleAndLayoutDuration)}` : '';
            return `${script.invoker} ${script.sourceFunctionName || ''} ${file} ${Math.round(script.duration)} ms${forced}`.replace(/\s+/g, ' ');
          }),
      };
    });
}

type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
};

/** Self time per function inside the given windows (µs, the trace's clock, which the profile shares). */
function hotFunctions(profile: CpuProfile, windows: { from: number; to: number }[], top = 15) {
  const names = new Map(
    profile.nodes.map((node) => {
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      const file = url.split('/').at(-1) ?? url;
      return [node.id, `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}:${columnNumber + 1}`];
    }),
  );
  const selfMs = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    const next = profile.timeDeltas[index + 1] ?? 0;
    if (!windows.some((w) => at >= w.from && at <= w.to)) return;
    const name = names.get(id) ?? '?';
    selfMs.set(name, (selfMs.get(name) ?? 0) + next / 1000);
  });
  return [...selfMs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => ({ fn, ms: Math.round(ms) }));
}

type TraceEvent = {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; elementCount?: number; data?: { elementCount?: number } };
};

const KINDS_OF_WORK = ['FunctionCall', 'TimerFire', 'EventDispatch', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'ParseHTML'];

/** The renderer's main thread's tasks, and where its time went by kind of work, from a Chromium trace. */
function mainThreadWork(trace: Buffer) {
  const { traceEvents } = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] };
  const main = traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const isMain = (e: TraceEvent) => main.some((m) => m.pid === e.pid && m.tid === e.tid);
  // A top-level task is `RunTask` in older Chromiums and `ThreadControllerImpl::RunTask` in newer ones.
  const isTask = (e: TraceEvent) => e.ph === 'X' && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');
  const onMain = traceEvents.filter((e) => e.ph === 'X' && isMain(e));
  const timeByKind = (events: TraceEvent[]) => {
    const byKind: Record<string, number> = {};
    for (const kind of KINDS_OF_WORK) byKind[kind] = events.filter((e) => e.name === kind).reduce((sum, e) => sum + (e.dur ?? 0) / 1000, 0);
    return byKind;
  };
  const byKind = timeByKind(onMain);
  const tasks = onMain.filter(isTask);
  const first = Math.min(...tasks.map((e) => e.ts));
  const last = Math.max(...tasks.map((e) => e.ts + (e.dur ?? 0)));
  // Where each long task fell, from 0 (the prompt sent) to 1 (the stored answer shown): to tell start-up, streaming
  // and hand-over apart.
  const long = tasks.filter((e) => (e.dur ?? 0) > 50_000);
  const longTasks = long.map((e) => {
    const within = onMain.filter((inner) => inner.tid === e.tid && inner.pid === e.pid && inner.ts >= e.ts && inner.ts < e.ts + (e.dur ?? 0));
    // The kinds of work the task spent at least 5 ms on, most first.
    let kinds = Object.entries(timeByKind(within))
      .filter(([, ms]) => ms >= 5)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, ms]) => `${kind} ${Math.round(ms)}`)
      .join(', ');
    // How many elements had their style computed again: a sign of what invalidated it.
    const styled = within
      .filter((inner) => inner.name === 'UpdateLayoutTree')
      .reduce((sum, inner) => sum + (inner.args?.elementCount ?? inner.args?.data?.elementCount ?? 0), 0);
    if (styled > 0) kinds += ` (${styled} elements styled)`;
    return { ms: (e.dur ?? 0) / 1000, at: (e.ts - first) / Math.max(1, last - first), kinds };
  });
  const longWindows = long.map((e) => ({ from: e.ts, to: e.ts + (e.dur ?? 0) }));
  return { tasks: tasks.map((e) => (e.dur ?? 0) / 1000), byKind, longTasks, longWindows };
}

/**
 * `files.screenshot`: the page once the answer is stored, scrolled to its middle, to look at. `files.profile`: also
 * record a CPU profile there (open it in DevTools) and name what ran in the long tasks.
 */
export async function measureChatPage(appUrl: string, tokens: number, files: { screenshot: string; profile?: string }): Promise<BrowserFigures> {
  const traced = await streamIntoChatPage(appUrl, tokens, files);
  const { seenByPage } = await streamIntoChatPage(appUrl, tokens, {});
  return { ...traced.figures, untraced: seenByPage };
}

/** One long answer streamed into a new chat: traced (and profiled) when given where to put the screenshot. */
async function streamIntoChatPage(appUrl: string, tokens: number, files: { screenshot?: string; profile?: string }) {
  const profilePath = files.profile;
  const tracing = files.screenshot !== undefined;
  const browser = await chromium.launch({ executablePath: resolveChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(observeLongTasks);
    await page.goto(appUrl);
    await page.locator('form[data-ready]').waitFor();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => {
      const { metrics: list } = await cdp.send('Performance.getMetrics');
      const byName = Object.fromEntries(list.map((m) => [m.name, m.value]));
      return { scriptS: byName.ScriptDuration ?? 0, taskS: byName.TaskDuration ?? 0 };
    };
    const liveAnswer = page.getByTestId('live-answer');
    // One native lookup per sample: Playwright's locator engine walks the whole page per query, and at four samples
    // a second over a 96,000-character answer that alone took seconds of the main thread being measured.
    const characters = () =>
      page.evaluate(() => document.querySelector('[data-testid="live-answer"]')?.textContent?.length ?? null);

    if (tracing) await browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
    // Only the tasks from the prompt on count, not the page's load.
    await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
    const promptAt = await page.evaluate(() => performance.now());
    if (profilePath) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const before = await metrics();
    const started = performance.now();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Write me a long guide with code?');
    await box.press('Enter');
    await liveAnswer.waitFor();
    const samples: { chars: number; taskS: number }[] = [];
    let last = { ...before };
    for (;;) {
      const [chars, now] = await Promise.all([characters(), metrics()]);
      if (chars === null) break;
      samples.push({ chars, taskS: now.taskS });
      last = now;
      await page.waitForTimeout(250);
    }
    const seconds = (performance.now() - started) / 1000;
    const { tasks, byKind, longTasks, longWindows } = tracing
      ? mainThreadWork(await browser.stopTracing())
      : { tasks: [], byKind: {}, longTasks: [], longWindows: [] };
    // Tasks end up in the observer a little after they ran.
    await page.waitForTimeout(500);
    const seen = await page.evaluate(() => [...(window as unknown as { __longTasks: number[] }).__longTasks]);
    const longFrames = await page.evaluate(longFramesSince, promptAt);
    let hotInLongTasks: BrowserFigures['hotInLongTasks'];
    if (profilePath) {
      const { profile } = await cdp.send('Profiler.stop');
      await writeFile(profilePath, JSON.stringify(profile));
      hotInLongTasks = longWindows.map((window) => ({
        taskMs: Math.round((window.to - window.from) / 1000),
        hot: hotFunctions(profile as CpuProfile, [window], 8),
      }));
    }
    const total = samples.at(-1)?.chars ?? 0;
    const quarters = [1, 2, 3, 4].map((q) => {
      const from = samples.find((s) => s.chars >= ((q - 1) / 4) * total) ?? samples[0];
      const to = samples.find((s) => s.chars >= (q / 4) * total) ?? samples.at(-1);
      if (!from || !to || to.chars === from.chars) return NaN;
      return ((to.taskS - from.taskS) * 1000) / ((to.chars - from.chars) / 1000);
    });
    // Taken after the trace, so that it is not measured.
    await page.locator('article[data-role="assistant"]').last().waitFor();
    if (files.screenshot) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2));
      await page.screenshot({ path: files.screenshot });
    }
    const seenByPage = { longestTaskMs: Math.max(0, ...seen), tasksOver50Ms: seen.length, longTasksMs: seen.map((ms) => Math.round(ms)), longFrames };
    const figures: BrowserFigures = {
      tokens,
      characters: total,
      seconds,
      longestTaskMs: Math.max(0, ...tasks),
      tasksOver50Ms: tasks.filter((ms) => ms > 50).length,
      scriptingMs: (last.scriptS - before.scriptS) * 1000,
      mainThreadMs: (last.taskS - before.taskS) * 1000,
      mainThreadMsPer1kCharsByQuarter: quarters,
      mainThreadMsByKind: byKind,
      longTasks,
      ...(hotInLongTasks ? { hotInLongTasks } : {}),
    };
    return { figures, seenByPage };
  } finally {
    await browser.close();
  }
}
