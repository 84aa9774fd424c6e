import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One export the receiver took: its headers and body (JSON for http/json, bytes for http/protobuf). */
export type ReceivedExport = { path: string; headers: IncomingHttpHeaders; body: Buffer };

/** A span as OTLP/JSON writes it, with its resource's attributes beside it. */
export type ExportedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  events: { name: string }[];
  status?: { code?: number; message?: string };
  resource: Record<string, unknown>;
};

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

const valueOf = (value: AnyValue): unknown =>
  value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? value.arrayValue?.values?.map(valueOf);

const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));

/**
 * An OTLP/HTTP receiver for tests: it answers every export with 200 and keeps it; `spans()` reads the OTLP/JSON
 * ones (ids in hex, attributes as plain values), as a collector would.
 */
export async function startOtlpReceiver() {
  const exports: ReceivedExport[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) });
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/json' });
      res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans(): ExportedSpan[] {
      return exports
        .filter((received) => received.headers['content-type']?.includes('json'))
        .flatMap((received) => {
          const document = JSON.parse(received.body.toString('utf8')) as {
            resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: (Omit<ExportedSpan, 'attributes' | 'resource'> & { attributes?: KeyValue[] })[] }[] }[];
          };
          return (document.resourceSpans ?? []).flatMap((resourceSpans) =>
            (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
              (scope.spans ?? []).map((span) => ({ ...span, attributes: attributesOf(span.attributes), resource: attributesOf(resourceSpans.resource?.attributes) })),
            ),
          );
        });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
