/**
 * Runs the mock upstream as its own process (Playwright's webServer, benchmarks): MOCK_UPSTREAM_PORT=...
 * MOCK_SPLIT_WRITES=0 writes each event whole (benchmarks). The pace without directives (benchmarks):
 * MOCK_REPLY_TOKENS, MOCK_REPLY_KIND (words | markdown), MOCK_TOKEN_GAP_MS, MOCK_ROUTER_DELAY_MS,
 * MOCK_MODERATION_DELAY_MS.
 */
import { startMockUpstream, type MockPace } from './server';

const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const pace: MockPace = {
  replyTokens: number('MOCK_REPLY_TOKENS'),
  replyKind: process.env.MOCK_REPLY_KIND === 'markdown' ? 'markdown' : 'words',
  tokenGapMs: number('MOCK_TOKEN_GAP_MS'),
  routerDelayMs: number('MOCK_ROUTER_DELAY_MS'),
  moderationDelayMs: number('MOCK_MODERATION_DELAY_MS'),
};
const port = Number(process.env.MOCK_UPSTREAM_PORT ?? 3218);
const mock = await startMockUpstream({ port, splitWrites: process.env.MOCK_SPLIT_WRITES !== '0', pace });
console.log(`mock upstream listening at ${mock.baseURL}`);
const shutdown = () => void mock.close().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
