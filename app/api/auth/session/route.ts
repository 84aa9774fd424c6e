import { handle, methodNotAllowed } from '@/lib/http';
import { sessionInfo } from '@/lib/services/accounts';
import { requireSession } from '@/lib/services/session';

export const dynamic = 'force-dynamic';

export const GET = handle(async (request) => Response.json(await sessionInfo(await requireSession(request))));

export const POST = methodNotAllowed(['GET']);
