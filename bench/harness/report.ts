/**
 * The bench's results as a table, a list of the targets with how each fared, and a chart of added latency.
 */
import type { BrowserFigures } from './browser';
import { QUIET_LIMIT, type LevelFigures } from './measure';
import type { SearchFigures } from './search';
import type { StopFigures } from './stops';

export type SystemId = 'floor-agent' | 'floor-answer' | 'ours' | 'ours-postgres' | 'ours-redis' | 'ours-two' | 'ours-sequential' | 'peer' | 'pipe';

export type SystemResult = {
  id: SystemId;
  label: string;
  /** The floor its added figures are measured against (none for a floor). */
  floor: SystemId | null;
  rssAfterStartMb: number | null;
  rssAfterOneChatMb: number | null;
  levels: LevelFigures[];
  /** Why it was not measured, when it was not. */
  skipped?: string;
};

export type BenchResult = {
  date: string;
  machine: string;
  quick: boolean;
  pace: { tokens: number; tokenGapMs: number; safetyDelayMs: number; modeDelayMs: number };
  systems: SystemResult[];
  /** The chat page streaming a long Markdown answer, when measured. */
  browser?: BrowserFigures;
  /** How long Stop takes to reach the model, with two instances on PostgreSQL + Redis, when measured. */
  stops?: { sameInstance: StopFigures; otherInstance: StopFigures };
  /** `GET /api/conversations?q=` over a big history, on each store, when measured. */
  search?: { pglite?: SearchFigures; postgres?: SearchFigures };
};

export type Added = { firstTokenP50: number; firstTokenP99: number; gapP50: number; gapP99: number };

const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));

function levelOf(result: BenchResult, id: SystemId, concurrency: number): LevelFigures | undefined {
  return result.systems.find((s) => s.id === id)?.levels.find((l) => l.concurrency === concurrency);
}

/** A system's figures minus its own floor's, at the same concurrency in the same run. */
export function addedOverFloor(result: BenchResult, system: SystemResult, level: LevelFigures): Added | null {
  const floor = system.floor ? levelOf(result, system.floor, level.concurrency) : undefined;
  if (!floor) return null;
  return {
    firstTokenP50: level.firstTokenMs.p50 - floor.firstTokenMs.p50,
    firstTokenP99: level.firstTokenMs.p99 - floor.firstTokenMs.p99,
    gapP50: level.gapMs.p50 - floor.gapMs.p50,
    gapP99: level.gapMs.p99 - floor.gapMs.p99,
  };
}

export type TargetCheck = { target: string; value: string; met: boolean | null; note: string };

/** The issue's targets, each with the measured value and, when missed, by how much. */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const system = (id: SystemId) => result.systems.find((s) => s.id === id && !s.skipped);
  const added = (id: SystemId, concurrency: number) => {
    const s = system(id);
    const level = s?.levels.find((l) => l.concurrency === concurrency);
    return s && level ? addedOverFloor(result, s, level) : null;
  };
  const ratioCheck = (target: string, value: number | undefined, limit: number | undefined, unit: string) => {
    if (value === undefined || limit === undefined || Number.isNaN(value) || Number.isNaN(limit)) {
      return checks.push({ target, value: 'not measured', met: null, note: '' });
    }
    const met = value <= limit;
    checks.push({ target, value: `${fixed(value)} ${unit} (limit ${fixed(limit)} ${unit})`, met, note: met ? '' : `missed by ${fixed(value - limit)} ${unit}` });
  };

  const ours1 = added('ours', 1);
  const peer1 = added('peer', 1);
  const pipe1 = added('pipe', 1);
  ratioCheck("added time to first token at 1 stream, p50: at most the bare pipe's + 2 ms", ours1?.firstTokenP50, pipe1 ? pipe1.firstTokenP50 + 2 : undefined, 'ms');
  ratioCheck(
    "added time to first token at 1 stream, p50: at most 0.5 of the AI SDK's",
    ours1?.firstTokenP50,
    peer1 ? Math.max(0, peer1.firstTokenP50) * 0.5 : undefined,
    'ms',
  );
  const levelsOfBoth = (system('peer')?.levels.map((l) => l.concurrency) ?? []).filter((c) => levelOf(result, 'ours', c));
  // With no level measured (a browser-only run) the target is named without one.
  if (levelsOfBoth.length === 0) ratioCheck("server CPU per 1,000 tokens: at most 0.8 of the AI SDK's", undefined, undefined, 'ms');
  for (const concurrency of levelsOfBoth) {
    ratioCheck(
      `server CPU per 1,000 tokens at ${concurrency} stream${concurrency === 1 ? '' : 's'}: at most 0.8 of the AI SDK's`,
      levelOf(result, 'ours', concurrency)?.cpuMsPer1kTokens ?? undefined,
      (levelOf(result, 'peer', concurrency)?.cpuMsPer1kTokens ?? NaN) * 0.8,
      'ms',
    );
  }
  ratioCheck('resident memory after start and one chat, embedded store: at most 300 MB', system('ours')?.rssAfterOneChatMb ?? undefined, 300, 'MB');
  ratioCheck(
    "resident memory after start and one chat, PostgreSQL: at most 1.5 times the AI SDK's",
    system('ours-postgres')?.rssAfterOneChatMb ?? undefined,
    (system('peer')?.rssAfterOneChatMb ?? NaN) * 1.5,
    'MB',
  );
  const pipeBurst = levelOf(result, 'pipe', 1000);
  for (const id of ['ours', 'ours-postgres', 'ours-redis'] as const) {
    const level = levelOf(result, id, 1000);
    const label = system(id)?.label ?? id;
    const target = `1,000 concurrent streams on one process (${label}): none failed, at least 0.9 of the bare pipe's answering at once`;
    if (!level || !pipeBurst) {
      checks.push({ target, value: 'not measured', met: null, note: result.quick ? '--quick stops at 100' : '' });
      continue;
    }
    const limit = Math.ceil(0.9 * pipeBurst.mostAnswering);
    const met = level.failed === 0 && level.mostAnswering >= limit;
    checks.push({
      target,
      value: `${level.failed} failed, ${level.mostAnswering} answering at once (the pipe ${pipeBurst.mostAnswering}, limit ${limit})`,
      met,
      note: [level.failed ? `${level.failed} failed` : '', level.mostAnswering < limit ? `${limit - level.mostAnswering} fewer answering at once` : '']
        .filter(Boolean)
        .join(', '),
    });
  }
  const two = levelOf(result, 'ours-two', 1000);
  const one = levelOf(result, 'ours-redis', 1000);
  const twoTarget = "1,000 streams over two instances (PostgreSQL + Redis): none failed, first token p50 no worse than one instance's";
  if (!two || !one) checks.push({ target: twoTarget, value: 'not measured', met: null, note: result.quick ? '--quick stops at 100' : '' });
  else {
    const met = two.failed === 0 && two.firstTokenMs.p50 <= one.firstTokenMs.p50;
    checks.push({
      target: twoTarget,
      value: `${two.failed} failed, ${fixed(two.firstTokenMs.p50)} ms (one instance ${fixed(one.firstTokenMs.p50)} ms)`,
      met,
      note: [two.failed ? `${two.failed} failed` : '', two.firstTokenMs.p50 > one.firstTokenMs.p50 ? `${fixed(two.firstTokenMs.p50 - one.firstTokenMs.p50)} ms slower` : '']
        .filter(Boolean)
        .join(', '),
    });
  }
  const quiet = levelOf(result, 'ours', 1000)?.quiet;
  const quietTarget = `a 1,000-stream burst (embedded store): resident memory back within ${QUIET_LIMIT.mb} MB of its start within ${QUIET_LIMIT.seconds} s of quiet`;
  if (!quiet) checks.push({ target: quietTarget, value: 'not measured', met: null, note: result.quick ? '--quick stops at 100' : '' });
  else {
    const over = quiet.rssAfterMb - quiet.rssBeforeMb;
    const met = over <= QUIET_LIMIT.mb;
    checks.push({
      target: quietTarget,
      value: `${fixed(quiet.rssBeforeMb, 0)} MB before, ${fixed(quiet.rssAfterMb, 0)} MB after ${fixed(quiet.seconds, 0)} s`,
      met,
      note: met ? '' : `${fixed(over - QUIET_LIMIT.mb, 0)} MB over`,
    });
  }
  const upstreamFirstToken = levelOf(result, 'floor-answer', 1)?.firstTokenMs.p50;
  ratioCheck(
    'parallel pre-steps: time to first token within 10% of max(safety, mode delay) + the upstream first token',
    levelOf(result, 'ours', 1)?.firstTokenMs.p50,
    upstreamFirstToken === undefined ? undefined : 1.1 * (Math.max(result.pace.safetyDelayMs, result.pace.modeDelayMs) + upstreamFirstToken),
    'ms',
  );
  ratioCheck('Stop pressed on another instance ends the model call within 500 ms (slowest of all)', result.stops?.otherInstance.maxMs, 500, 'ms');
  ratioCheck('search over 10,000 conversations on PostgreSQL: p50 at most 30 ms', result.search?.postgres?.p50Ms, 30, 'ms');
  if (result.browser) {
    // What the page's own Long Tasks API saw with no tracer attached; older results have only the traced figures.
    const seen = result.browser.untraced ?? result.browser;
    const met = seen.longestTaskMs <= 50;
    checks.push({
      target: `browser: no main-thread task over 50 ms while a ${result.browser.tokens.toLocaleString('en')}-token answer streams`,
      value: `longest ${fixed(seen.longestTaskMs)} ms, ${seen.tasksOver50Ms} over 50 ms${result.browser.untraced ? ' (Long Tasks API, untraced)' : ''}`,
      met,
      note: met ? '' : `missed by ${fixed(seen.longestTaskMs - 50)} ms`,
    });
  }
  return checks;
}

export function toMarkdown(result: BenchResult): string {
  const { pace } = result;
  const lines = [
    `Run ${result.date} on ${result.machine}${result.quick ? ' (--quick)' : ''}. Mock upstream: ${pace.tokens} tokens ${pace.tokenGapMs} ms apart; safety check and mode decision answer after ${pace.safetyDelayMs} ms and ${pace.modeDelayMs} ms. Times in ms; "added" is a system's figure minus its own floor's in the same run.`,
    '',
    '| system | streams | failed | answering at once | first token p50 / p99 | added first token p50 / p99 | gap p50 / p99 | added gap p50 / p99 | server CPU ms per 1k tokens | peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const system of result.systems) {
    if (system.skipped) {
      lines.push(`| ${system.label} | – | – | – | – | – | – | – | – | skipped: ${system.skipped} |`);
      continue;
    }
    for (const level of system.levels) {
      const added = addedOverFloor(result, system, level);
      const streams = level.concurrency === 1 ? `1 (×${level.samples})` : String(level.concurrency);
      const signed = (n: number) => `${n >= 0 ? '+' : ''}${fixed(n)}`;
      lines.push(
        `| ${system.label} | ${streams} | ${level.failed} | ${level.mostAnswering} | ${fixed(level.firstTokenMs.p50)} / ${fixed(level.firstTokenMs.p99)} | ${
          added ? `${signed(added.firstTokenP50)} / ${signed(added.firstTokenP99)}` : '–'
        } | ${fixed(level.gapMs.p50)} / ${fixed(level.gapMs.p99)} | ${added ? `${signed(added.gapP50)} / ${signed(added.gapP99)}` : '–'} | ${fixed(level.cpuMsPer1kTokens, 0)} | ${fixed(level.peakRssMb, 0)} |`,
      );
    }
  }
  lines.push('', '| system | RSS after start, MB | RSS after one chat, MB |', '| --- | ---: | ---: |');
  for (const system of result.systems.filter((s) => s.rssAfterStartMb !== null)) {
    lines.push(`| ${system.label} | ${fixed(system.rssAfterStartMb, 0)} | ${fixed(system.rssAfterOneChatMb, 0)} |`);
  }
  const bursts = result.systems.flatMap((system) => system.levels.flatMap((level) => (level.quiet ? [{ system, level, quiet: level.quiet }] : [])));
  if (bursts.length > 0) {
    lines.push(
      '',
      `After a burst, resident memory (MB) once the server was quiet until it came back to within ${QUIET_LIMIT.mb} MB of before, or ${QUIET_LIMIT.seconds} s passed:`,
      '',
      '| system | streams | before | peak | after | seconds of quiet |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...bursts.map(({ system, level, quiet }) => `| ${system.label} | ${level.concurrency} | ${fixed(quiet.rssBeforeMb, 0)} | ${fixed(level.peakRssMb, 0)} | ${fixed(quiet.rssAfterMb, 0)} | ${fixed(quiet.seconds, 0)} |`),
    );
  }
  const throughRedis = result.systems.flatMap((system) =>
    system.levels.flatMap((level) => (level.redisPer1kTokens ? [{ system, level, cost: level.redisPer1kTokens }] : [])),
  );
  if (throughRedis.length > 0) {
    lines.push(
      '',
      'Redis, per 1,000 tokens delivered: stream entries (deltas written together are one entry, at most one every 50 ms per run, plus one per other event) and writing round trips (script calls: appends, lease renewals, releases):',
      '',
      '| system | streams | entries (XADD) | script calls |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const { system, level, cost } of throughRedis) {
      lines.push(`| ${system.label} | ${level.concurrency} | ${fixed(cost.entries, 0)} | ${fixed(cost.scriptCalls, 0)} |`);
    }
  }
  if (result.stops) {
    const row = (label: string, f: StopFigures) => `| ${label} | ${f.stops} | ${fixed(f.p50Ms, 0)} | ${fixed(f.p99Ms, 0)} | ${fixed(f.maxMs, 0)} |`;
    lines.push(
      '',
      'Stop, from `POST .../cancel` sent to the model request closed (two instances on PostgreSQL + Redis; ms):',
      '',
      '| pressed on | stops | p50 | p99 | max |',
      '| --- | ---: | ---: | ---: | ---: |',
      row('the instance producing the run', result.stops.sameInstance),
      row('another instance', result.stops.otherInstance),
    );
  }
  if (result.search) {
    const row = (label: string, f: SearchFigures | undefined) =>
      f ? [`| ${label} | ${f.conversations.toLocaleString('en')} / ${f.messages.toLocaleString('en')} | ${f.searches} | ${fixed(f.p50Ms)} | ${fixed(f.p99Ms)} |`] : [];
    lines.push(
      '',
      'Search, `GET /api/conversations?q=` over one visitor’s history (common, rare, two-word and half-typed queries, one at a time; ms):',
      '',
      '| store | conversations / messages | searches | p50 | p99 |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...row('PGlite', result.search.pglite),
      ...row('PostgreSQL', result.search.postgres),
    );
  }
  if (result.browser) {
    const b = result.browser;
    lines.push(
      '',
      `Chat page in Chromium, a ${b.tokens.toLocaleString('en')}-token Markdown answer (${b.characters.toLocaleString('en')} characters, headings, lists, code blocks) streamed in ${fixed(b.seconds)} s:`,
      '',
      '| longest main-thread task | tasks over 50 ms | scripting | all main-thread work | main-thread ms per 1k characters, by quarter of the answer |',
      '| ---: | ---: | ---: | ---: | --- |',
      `| ${fixed(b.longestTaskMs)} ms | ${b.tasksOver50Ms} | ${fixed(b.scriptingMs, 0)} ms | ${fixed(b.mainThreadMs, 0)} ms | ${b.mainThreadMsPer1kCharsByQuarter.map((v) => fixed(v)).join(' / ')} |`,
      '',
      `Main-thread time by kind of work (ms): ${Object.entries(b.mainThreadMsByKind)
        .map(([kind, ms]) => `${kind} ${fixed(ms, 0)}`)
        .join(', ')}.`,
    );
    if (b.untraced) {
      lines.push(
        '',
        `The same answer again with no tracer attached, as the page's Long Tasks API saw it: longest task ${fixed(b.untraced.longestTaskMs)} ms, ${b.untraced.tasksOver50Ms} over 50 ms${b.untraced.tasksOver50Ms ? ` (${b.untraced.longTasksMs.join(', ')} ms)` : ''}.`,
      );
      const frames = b.untraced.longFrames ?? [];
      if (frames.length > 0) {
        lines.push(
          '',
          'Its animation frames over 50 ms (Long Animation Frames API: ms after the prompt, length, of which rendering and style with layout, the longest scripts):',
          '',
          ...frames.map((f) => `- at ${f.at} ms: ${f.ms} ms, rendering ${f.renderMs}, style and layout ${f.styleAndLayoutMs}; ${f.scripts.join('; ') || 'no script'}`),
        );
      }
    }
    if (b.longTasks.length > 0) {
      lines.push(
        '',
        'Tasks over 50 ms (where in the run, 0 the prompt sent and 1 the stored answer shown; what they did, in ms):',
        '',
        ...b.longTasks.map((task) => `- ${fixed(task.ms)} ms at ${fixed(task.at, 2)}: ${task.kinds || 'none of the kinds above'}`),
      );
    }
  }
  lines.push('', '| target | measured | met |', '| --- | --- | --- |');
  for (const check of checkTargets(result)) {
    const met = check.met === null ? '–' : check.met ? 'yes' : `**no**: ${check.note}`;
    lines.push(`| ${check.target} | ${check.value} | ${met} |`);
  }
  return lines.join('\n');
}

const CHARTED: SystemId[] = ['ours', 'ours-postgres', 'ours-redis', 'ours-two', 'peer', 'pipe'];
const COLOURS: Record<string, string> = { ours: '#2563eb', 'ours-postgres': '#7c3aed', 'ours-redis': '#059669', 'ours-two': '#d97706', peer: '#dc2626', pipe: '#6b7280' };

/** Added time to first token (p50) and added p99 gap against concurrency: one line per system, floors at 0. */
export function toSvg(result: BenchResult): string {
  const width = 760;
  const height = 360;
  // First-token times span 1 ms to tens of seconds: a log scale keeps 1 and 100 streams readable.
  const panels = [
    { title: 'added time to first token, p50 (ms, log)', pick: (a: Added) => a.firstTokenP50, log: true },
    { title: 'added gap between tokens, p99 (ms)', pick: (a: Added) => a.gapP99, log: false },
  ];
  const systems = result.systems.filter((s) => CHARTED.includes(s.id) && !s.skipped);
  const concurrencies = [...new Set(systems.flatMap((s) => s.levels.map((l) => l.concurrency)))].sort((a, b) => a - b);
  const panelWidth = (width - 40) / panels.length;
  const plot = { left: 64, top: 40, height: height - 150 };
  const parts: string[] = [];
  panels.forEach((panel, p) => {
    const x0 = 20 + p * panelWidth + plot.left;
    const plotWidth = panelWidth - plot.left - 20;
    const series = systems.map((system) => ({
      system,
      points: system.levels.flatMap((level) => {
        const added = addedOverFloor(result, system, level);
        return added ? [{ concurrency: level.concurrency, value: panel.pick(added) }] : [];
      }),
    }));
    const values = series.flatMap((s) => s.points.map((pt) => pt.value)).concat(panel.log ? 1 : 0);
    // On the log scale the floor is drawn at 1 ms, and anything at or under it sits on that line.
    const scaled = (v: number) => (panel.log ? Math.log10(Math.max(1, v)) : v);
    const max = panel.log ? Math.ceil(scaled(Math.max(...values))) || 1 : Math.max(...values) * 1.1 || 1;
    const min = panel.log ? 0 : Math.min(0, ...values) * 1.1;
    const x = (c: number) => x0 + (concurrencies.length === 1 ? plotWidth / 2 : (concurrencies.indexOf(c) / (concurrencies.length - 1)) * plotWidth);
    const y = (v: number) => plot.top + plot.height - ((scaled(v) - min) / (max - min)) * plot.height;
    const floorY = y(panel.log ? 1 : 0);
    parts.push(`<text x="${x0 - plot.left + 10}" y="24" font-size="13" font-weight="600">${panel.title}</text>`);
    parts.push(`<line x1="${x0}" y1="${floorY}" x2="${x0 + plotWidth}" y2="${floorY}" stroke="#9ca3af" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x0 + plotWidth}" y="${floorY - 4}" font-size="10" text-anchor="end" fill="#6b7280">floor</text>`);
    const ticks = panel.log ? Array.from({ length: max + 1 }, (_, i) => 10 ** i) : [min, max / 2, max];
    for (const tick of ticks) {
      parts.push(`<text x="${x0 - 6}" y="${y(tick) + 4}" font-size="10" text-anchor="end">${Math.round(tick).toLocaleString('en')}</text>`);
    }
    for (const c of concurrencies) {
      parts.push(`<text x="${x(c)}" y="${plot.top + plot.height + 16}" font-size="10" text-anchor="middle">${c.toLocaleString('en')}</text>`);
    }
    parts.push(`<text x="${x0 + plotWidth / 2}" y="${plot.top + plot.height + 32}" font-size="10" text-anchor="middle">concurrent streams</text>`);
    for (const { system, points } of series) {
      const colour = COLOURS[system.id] ?? '#000';
      const path = points.map((pt) => `${x(pt.concurrency).toFixed(1)},${y(pt.value).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      for (const pt of points) parts.push(`<circle cx="${x(pt.concurrency).toFixed(1)}" cy="${y(pt.value).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
  });
  systems.forEach((system, i) => {
    // Two to a row: the labels are long.
    const lx = 70 + (i % 2) * 330;
    const ly = height - 62 + Math.floor(i / 2) * 18;
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLOURS[system.id] ?? '#000'}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly + 10}" font-size="11">${system.label}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>\n`;
}
