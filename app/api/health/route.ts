import { getHealth } from '@/lib/services/health';
import { ERRORS } from '@/lib/errors';
import { handle, methodNotAllowed } from '@/lib/http';

export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const health = await getHealth();
  if (health.status === 'ok') return Response.json(health);
  return Response.json(health, { status: 503, headers: { 'Retry-After': String(ERRORS.store_unavailable.retryAfterS) } });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
