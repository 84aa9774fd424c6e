import 'server-only';
import { fromPromise } from 'xstate';
import type { AnalysisInput, RespondInput } from '@/lib/agent/machine';
import { isModelResponseStep } from '@/lib/contract';
import type { Models } from '@/lib/llm';
import { streamPacedText } from '@/lib/llm/paced-text';
import { FIXED_RESPONSES } from '@/lib/llm/prompts';
import type { CallObserver, SafetyVerdict } from '@/lib/llm/types';

/** A step's model call reports to the machine, which passes it on to the trace. */
const reportTo =
  ({ step, parent }: AnalysisInput | RespondInput): CallObserver =>
  (call) =>
    parent.send({ type: 'model.call', step, call });

/**
 * The machine's real implementations. Each takes the actor's own `signal`, so leaving a state (a cancel, a
 * failure in the sibling region) aborts the model request behind it.
 */
export function createAgentActors(models: Models) {
  return {
    checkSafety: fromPromise<SafetyVerdict, AnalysisInput>(({ input, signal }) =>
      models.safety.check(input.prompt, signal, reportTo(input)),
    ),
    decideMode: fromPromise<unknown, AnalysisInput>(({ input, signal }) =>
      models.chat.decideMode(input.history, signal, reportTo(input)),
    ),
    respond: fromPromise<string, RespondInput>(async ({ input, signal }) => {
      const parts = isModelResponseStep(input.step)
        ? models.chat.streamResponse(input.step, input.history, signal, reportTo(input))
        : streamPacedText(FIXED_RESPONSES[input.step], models.fixedTextDelayMs, signal);
      let text = '';
      for await (const part of parts) {
        if (signal.aborted) break;
        if (part.type === 'reasoning') {
          input.parent.send({ type: 'response.reasoning', delta: part.text });
          continue;
        }
        input.parent.send({ type: 'response.delta', delta: part.text });
        text += part.text;
      }
      return text;
    }),
  };
}
