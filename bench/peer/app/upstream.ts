import { z } from 'zod';

const UpstreamSchema = z.object({
  OPENAI_BASE_URL: z.url(),
  CHAT_MODEL: z.string().default('mock-chat'),
});

let parsed: z.infer<typeof UpstreamSchema> | undefined;

/** Where the peer sends its model calls (the benchmark's mock upstream): read once, at the first request. */
export function upstream() {
  parsed ??= UpstreamSchema.parse(process.env);
  return parsed;
}
