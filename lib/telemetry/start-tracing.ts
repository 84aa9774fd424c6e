import 'server-only';
import { getEnv, tracingEnabled } from '@/lib/env';

/**
 * Registers the OpenTelemetry SDK when an OTLP endpoint is set: a Node tracer provider (async-hooks context, W3C
 * trace context) that batches spans to the OTLP/HTTP exporter of the protocol asked for. The SDK's own parts read
 * the other standard variables: the endpoint and headers (the exporter), OTEL_TRACES_SAMPLER and its _ARG (the
 * provider), OTEL_BSP_* (the batch), OTEL_RESOURCE_ATTRIBUTES (the resource).
 *
 * Spans live until they are ended: a run outlives the request that started it, and its span with it (a setup that
 * ends every span of a request with the request, as serverless helpers do, would cut runs short).
 */
export async function startTracing(): Promise<void> {
  const env = getEnv();
  if (!tracingEnabled(env)) return;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { detectResources, envDetector, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  const { OTLPTraceExporter } =
    protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  console.info(`[sluice] tracing to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT} over ${protocol} as ${env.OTEL_SERVICE_NAME}`);
}
