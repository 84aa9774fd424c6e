/**
 * Next.js calls `register` once as the server starts. Tracing is on only when an OTLP endpoint is set: then the
 * OpenTelemetry SDK is loaded (and Next.js's own request spans come with it); otherwise nothing is loaded at all,
 * not even the settings module, so a server without tracing starts exactly as it would without this file. (The
 * settings are parsed, and checked, in lib/env.ts once tracing starts.)
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() && !process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) return;
  const { startTracing } = await import('./lib/telemetry/start-tracing');
  await startTracing();
}
