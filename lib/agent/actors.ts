import 'server-only';
import { fromPromise } from 'xstate';
import type { AnalysisInput, RespondInput } from '@/lib/agent/machine';
import { isImageType } from '@/lib/attachments/file-type';
import { isModelResponseStep } from '@/lib/contract';
import type { Models } from '@/lib/llm';
import { coalesceReadyParts } from '@/lib/llm/coalesce-parts';
import { streamPacedText } from '@/lib/llm/paced-text';
import { FIXED_RESPONSES, fileNamesLine, fileTextPart } from '@/lib/llm/prompts';
import type { CallObserver, ChatTurn, FileBody, ModelTurn, SafetyVerdict } from '@/lib/llm/types';
import { inStepSpan } from '@/lib/telemetry/spans';

/** The bytes of files by id (the store's): the machine's history names files, a model call sends them. */
export type FileLoader = (ids: string[]) => Promise<Map<string, FileBody>>;

/** A step's model call reports to the machine, which passes it on to the trace. */
const reportTo =
  ({ step, parent }: AnalysisInput | RespondInput): CallObserver =>
  (call) =>
    parent.send({ type: 'model.call', step, call });

/** The history with each prompt's files read, for the answering model; a file no longer stored is left out. */
async function withFiles(history: ChatTurn[], load: FileLoader): Promise<ModelTurn[]> {
  const ids = [...new Set(history.flatMap((turn) => turn.attachments?.map((file) => file.id) ?? []))];
  if (ids.length === 0) return history;
  const bodies = await load(ids);
  return history.map(({ role, content, attachments }) => {
    const files = (attachments ?? []).flatMap((file) => bodies.get(file.id) ?? []);
    return files.length > 0 ? { role, content, files } : { role, content };
  });
}

/**
 * What the safety check reads: the prompt and its files' names; the local rules read the text files too (the
 * moderation endpoint is sent text only).
 */
async function textToCheck(input: AnalysisInput, withContent: boolean, load: FileLoader): Promise<string> {
  const files = input.history.at(-1)?.attachments ?? [];
  if (files.length === 0) return input.prompt;
  const parts = [input.prompt, fileNamesLine(files)];
  if (withContent) {
    const bodies = await load(files.filter((file) => !isImageType(file.type)).map((file) => file.id));
    for (const body of bodies.values()) parts.push(fileTextPart(body));
  }
  return parts.join('\n\n');
}

/**
 * The machine's real implementations. Each takes the actor's own `signal`, so leaving a state (a cancel, a
 * failure in the sibling region) aborts the model request behind it.
 */
export function createAgentActors(models: Models, loadFiles: FileLoader) {
  return {
    checkSafety: fromPromise<SafetyVerdict, AnalysisInput>(({ input, signal }) =>
      inStepSpan(input.step, signal, async () =>
        models.safety.check(await textToCheck(input, models.safety.kind === 'rules', loadFiles), signal, reportTo(input)),
      ),
    ),
    decideMode: fromPromise<unknown, AnalysisInput>(({ input, signal }) =>
      inStepSpan(input.step, signal, () => models.chat.decideMode(input.history, signal, reportTo(input))),
    ),
    respond: fromPromise<string, RespondInput>(({ input, signal }) => inStepSpan(input.step, signal, () => respond(input, signal))),
  };

  /** A response step: its answer (and any reasoning) sent to the machine as it streams; resolves with the text. */
  async function respond(input: RespondInput, signal: AbortSignal): Promise<string> {
    const parts = coalesceReadyParts(
      isModelResponseStep(input.step)
        ? models.chat.streamResponse(input.step, await withFiles(input.history, loadFiles), signal, reportTo(input))
        : streamPacedText(FIXED_RESPONSES[input.step], models.fixedTextDelayMs, signal),
    );
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
  }
}
