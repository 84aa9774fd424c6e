import 'server-only';
import { fromPromise } from 'xstate';
import type { AnalysisInput, RespondInput } from '@/lib/agent/machine';
import { isModelResponseStep } from '@/lib/contract';
import type { Models } from '@/lib/llm';
import { streamPacedText } from '@/lib/llm/paced-text';
import { FIXED_RESPONSES } from '@/lib/llm/prompts';
import type { SafetyVerdict } from '@/lib/llm/types';

/**
 * The machine's real implementations. Each takes the actor's own `signal`, so leaving a state (a cancel, a
 * failure in the sibling region) aborts the model request behind it.
 */
export function createAgentActors(models: Models) {
  return {
    checkSafety: fromPromise<SafetyVerdict, AnalysisInput>(({ input, signal }) =>
      models.safety.check(input.prompt, signal),
    ),
    decideMode: fromPromise<unknown, AnalysisInput>(({ input, signal }) =>
      models.chat.decideMode(input.history, signal),
    ),
    respond: fromPromise<string, RespondInput>(async ({ input, signal }) => {
      const deltas = isModelResponseStep(input.step)
        ? models.chat.streamResponse(input.step, input.history, signal)
        : streamPacedText(FIXED_RESPONSES[input.step], models.fixedTextDelayMs, signal);
      let text = '';
      for await (const delta of deltas) {
        if (signal.aborted) break;
        input.parent.send({ type: 'response.delta', delta });
        text += delta;
      }
      return text;
    }),
  };
}
