import { getHealth } from '@/lib/services/health';
import { handle, methodNotAllowed } from '@/lib/http';

export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const health = await getHealth();
  return Response.json(health, health.status === 'ok' ? undefined : { status: 503, headers: { 'Retry-After': '5' } });
});

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
