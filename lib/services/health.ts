import 'server-only';
import type { Health } from '@/lib/contract';
import { DEMO_NOTICE } from '@/lib/llm/demo-model';
import { getAppProcess } from '@/lib/services/app-process';

export type HealthReport = Health & { notice?: string; safetyCheck: string };

export async function getHealth(): Promise<HealthReport> {
  const { store, models } = await getAppProcess();
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
