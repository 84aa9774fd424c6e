import 'server-only';
import { getEnv, tracingEnabled } from '@/lib/env';

/**
 * Registers the OpenTelemetry SDK (through @vercel/otel, made for Next.js) when an OTLP endpoint is set. It reads
 * the standard variables itself: OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT, _PROTOCOL (`http/protobuf`, the
 * default, or `http/json`), _HEADERS, OTEL_TRACES_SAMPLER and its _ARG, OTEL_RESOURCE_ATTRIBUTES.
 */
export async function startTracing(): Promise<void> {
  const env = getEnv();
  if (!tracingEnabled(env)) return;
  const { registerOTel } = await import('@vercel/otel');
  // No automatic fetch spans: each model call has a span of its own, which sends its `traceparent` itself.
  registerOTel({ serviceName: env.OTEL_SERVICE_NAME, instrumentations: [] });
  console.info(`[sluice] tracing to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT} as ${env.OTEL_SERVICE_NAME}`);
}
