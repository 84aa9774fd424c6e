/** An error and its causes, outermost first (drizzle and the SDKs wrap what they caught); at most 8 deep. */
export function* causeChain(error: unknown): Generator<Error> {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) yield current;
}
