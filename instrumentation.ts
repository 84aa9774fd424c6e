/**
 * Next.js calls `register` once as the server starts. Tracing is on only when an OTLP endpoint is set: then the
 * OpenTelemetry SDK is loaded (and Next.js's own request spans come with it); otherwise nothing is loaded at all.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startTracing } = await import('./lib/telemetry/start-tracing');
  await startTracing();
}
