/**
 * Runs the mock upstream as its own process (Playwright's webServer, benchmarks): MOCK_UPSTREAM_PORT=...
 * MOCK_SPLIT_WRITES=0 writes each event whole (benchmarks).
 */
import { startMockUpstream } from './server';

const port = Number(process.env.MOCK_UPSTREAM_PORT ?? 3218);
const mock = await startMockUpstream({ port, splitWrites: process.env.MOCK_SPLIT_WRITES !== '0' });
console.log(`mock upstream listening at ${mock.baseURL}`);
const shutdown = () => void mock.close().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
