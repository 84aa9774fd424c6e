import 'server-only';
import type { Health } from '@/lib/contract';
import { toAppError } from '@/lib/errors';
import { DEMO_NOTICE } from '@/lib/llm/demo-model';
import { getAppProcess } from '@/lib/services/app-process';

export type HealthReport = Health & { notice?: string; safetyCheck?: string };

const UNAVAILABLE: HealthReport = { status: 'unavailable', store: 'unavailable' };

/** The process's services; null when the store was away when the process first needed it (none are built yet). */
async function servicesUnlessStoreAway() {
  try {
    return await getAppProcess();
  } catch (error) {
    if (toAppError(error).code === 'store_unavailable') return null;
    throw error;
  }
}

/** Whether pages can be served: the store answers reads (asked cheaply, with a short timeout). */
export async function storeAnswers(): Promise<boolean> {
  const services = await servicesUnlessStoreAway();
  return services !== null && (await services.store.answers());
}

/** The process's health: its store is asked each time (cheaply, with a short timeout), the rest is configuration. */
export async function getHealth(): Promise<HealthReport> {
  const services = await servicesUnlessStoreAway();
  if (!services || !(await services.store.isAvailable())) return UNAVAILABLE;
  const { store, models } = services;
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
