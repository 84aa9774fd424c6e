import { getHealth } from '@/lib/services/health';
import { handle, methodNotAllowed } from '@/lib/http';

export const dynamic = 'force-dynamic';

export const GET = handle(async () => Response.json(await getHealth()));

export const POST = methodNotAllowed(['GET']);
export const PUT = POST;
export const PATCH = POST;
export const DELETE = POST;
