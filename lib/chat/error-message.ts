import { ErrorBodySchema } from '@/lib/contract';

/** What a failed request says went wrong: its error body's message, else `fallback` (no answer, or not ours). */
export async function errorMessageOf(response: Response | null | undefined, fallback: string): Promise<string> {
  const body = ErrorBodySchema.safeParse(await response?.json().catch(() => null));
  return body.success ? body.data.error.message : fallback;
}
