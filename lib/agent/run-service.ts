import 'server-only';
import { createAgentActors } from '@/lib/agent/actors';
import { loadAttachmentBodies } from '@/lib/db/queries/attachments';
import { agentMachine } from '@/lib/agent/machine';
import { createHeldTurns, type HeldTurns } from '@/lib/agent/held-turns';
import { singleProcess, type RunPlacement } from '@/lib/agent/run-placement';
import type { RunRegistry } from '@/lib/agent/run-registry';
import { createTitleWriter, type TitleWriter } from '@/lib/agent/titles';
import { createTraceSink, type TraceSink } from '@/lib/agent/trace-writer';
import type { Db } from '@/lib/db/client';
import type { RunQuota } from '@/lib/db/queries/turns';
import type { PreSteps } from '@/lib/env';
import type { Models } from '@/lib/llm';

export type AgentMachine = typeof agentMachine;

export type RunServiceDeps = {
  db: Db;
  models: Models;
  registry: RunRegistry;
  quota: RunQuota;
  /** The safety check and the mode decision side by side (the default), or one after the other. */
  preSteps?: PreSteps;
  /** Where runs live: this process alone (the default), or shared with other instances through Redis. */
  placement?: RunPlacement;
  /** How long the end of a turn is tried again while the store is unavailable, before its answer is held. */
  storeRetryMs?: number;
};

/** How long the end of a turn is retried through a store outage by default: `done` waits that long at most. */
export const STORE_RETRY_MS = 10_000;

/**
 * What runs of the agent need, built once per process (lib/services/app-process.ts) and handed to the functions
 * that start, find, stop and fork runs (start-run.ts, run-lookup.ts, fork-run.ts).
 */
export type RunService = {
  db: Db;
  /** The agent with the real actors: `provide` rebuilds the whole state tree, so it is done once, here. */
  machine: AgentMachine;
  registry: RunRegistry;
  quota: RunQuota;
  placement: RunPlacement;
  /** Where every run's trace rows wait to be written together. */
  traces: TraceSink;
  storeRetryMs: number;
  /** Answers whose runs ended while the store was away, until it takes them. */
  held: HeldTurns;
  /** Titles a conversation beside its first run. */
  writeTitle: TitleWriter;
};

export function createRunService({
  db,
  models,
  registry,
  quota,
  preSteps = 'parallel',
  placement = singleProcess,
  storeRetryMs = STORE_RETRY_MS,
}: RunServiceDeps): RunService {
  const machine = agentMachine.provide({
    actors: createAgentActors(models, (ids) => loadAttachmentBodies(db, ids)),
    guards: { preStepsInParallel: () => preSteps === 'parallel' },
  });
  return {
    db,
    machine,
    registry,
    quota,
    placement,
    traces: createTraceSink(db),
    storeRetryMs,
    held: createHeldTurns(),
    writeTitle: createTitleWriter(models.chat),
  };
}
