import 'server-only';
import type { Health } from '@/lib/contract';
import { toAppError } from '@/lib/errors';
import { DEMO_NOTICE } from '@/lib/llm/demo-model';
import { getAppProcess } from '@/lib/services/app-process';

export type HealthReport = Health & { notice?: string; safetyCheck?: string };

const UNAVAILABLE: HealthReport = { status: 'unavailable', store: 'unavailable' };

/** The process's health: its store is asked each time (cheaply, with a short timeout), the rest is configuration. */
export async function getHealth(): Promise<HealthReport> {
  let services;
  try {
    services = await getAppProcess();
  } catch (error) {
    // The store was away when the process first needed it: no services yet.
    if (toAppError(error).code === 'store_unavailable') return UNAVAILABLE;
    throw error;
  }
  const { store, models } = services;
  if (!(await store.isAvailable())) return UNAVAILABLE;
  return {
    status: 'ok',
    provider: models.chat.provider,
    chatModel: models.chat.chatModel,
    routerModel: models.chat.routerModel,
    store: store.kind,
    safetyCheck: models.safety.kind,
    ...(models.chat.provider === 'demo' ? { notice: DEMO_NOTICE } : {}),
  };
}
