/**
 * The agent as a state machine. This file is the definition only: it does no I/O.
 * Model calls and safety come in as actors, provided by the run service (lib/agent/run-service.ts)
 * and swapped for fakes in tests with `agentMachine.provide(...)`.
 *
 * Over 300 lines, and kept whole on purpose: one `setup` names every implementation and one `createMachine`
 * holds every state, so the machine reads (and the inspector draws it) as the single definition it is.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import { ModeSchema, type Attachment, type ErrorInfo, type Mode, type ReportedStep, type ResponseStep, type StepStatus } from '@/lib/contract';
import { toAppError } from '@/lib/errors';
import type { ChatTurn, ModelCallEvent, SafetyVerdict } from '@/lib/llm/types';

export type TurnOutcome =
  | { status: 'complete' }
  | { status: 'interrupted' }
  | { status: 'error'; error: ErrorInfo };

export type AgentContext = {
  history: ChatTurn[];
  prompt: string;
  safety: SafetyVerdict | null;
  mode: Mode | null;
  responseStep: ResponseStep | null;
  response: string;
  /** The model's reasoning before its answer, when it shows any: kept apart, never sent back upstream. */
  reasoning: string;
  /** Status of each step of the current turn, so a failure or a cancel can close the ones still open. */
  steps: Partial<Record<ReportedStep, StepStatus>>;
  outcome: TurnOutcome | null;
  turns: number;
};

export type AgentEvent =
  | { type: 'user.prompt'; prompt: string; attachments?: Attachment[] }
  /** The prompt again, with the verdict and mode an earlier run reached: only the response step runs (a regenerate). */
  | { type: 'user.regenerate'; prompt: string; attachments?: Attachment[]; safety: SafetyVerdict; mode: Mode }
  | { type: 'response.delta'; delta: string }
  | { type: 'response.reasoning'; delta: string }
  | { type: 'model.call'; step: ReportedStep; call: ModelCallEvent }
  | { type: 'cancel' };

/**
 * What a step produced: the safety verdict, the chosen mode, or the response text (partial when cut short) with the
 * reasoning before it, if any.
 */
export type ResponseOutput = { content: string; reasoning?: string };
export type StepOutput = SafetyVerdict | { mode: Mode } | ResponseOutput;

export type AgentEmitted =
  | { type: 'step'; name: ReportedStep; status: StepStatus; output?: StepOutput }
  | { type: 'mode'; step: ResponseStep }
  | { type: 'delta'; delta: string }
  | { type: 'reasoning'; delta: string }
  /** What a step's model call sent upstream, when its first token came, the tokens it used: for the trace. */
  | { type: 'call'; step: ReportedStep; call: ModelCallEvent }
  | { type: 'turn.ended'; outcome: TurnOutcome };

export type AgentInput = { history?: ChatTurn[] };

type AnalysisStep = 'check_safety' | 'decide_mode';

/** Where an actor reports to: its deltas, and what its model call did. */
type ActorParent = {
  send: (
    event:
      | { type: 'response.delta' | 'response.reasoning'; delta: string }
      | { type: 'model.call'; step: ReportedStep; call: ModelCallEvent },
  ) => void;
};

export type AnalysisInput = { step: AnalysisStep; prompt: string; history: ChatTurn[]; parent: ActorParent };

/** What a response actor receives: it sends each delta to `parent` and resolves with the full text. */
export type RespondInput = {
  step: ResponseStep;
  prompt: string;
  history: ChatTurn[];
  parent: ActorParent;
};

/** Placeholders: the run service provides the real actors, tests provide fakes. */
const notProvided = <TOutput, TInput>(name: string) =>
  fromPromise<TOutput, TInput>(async () => {
    throw new Error(`The agent actor "${name}" was not provided; use agentMachine.provide().`);
  });

/** The router's answer is untrusted text: anything that is not one of the four modes asks for more. */
export function toMode(raw: unknown): Mode {
  const candidate =
    raw && typeof raw === 'object' && 'mode' in raw ? (raw as { mode: unknown }).mode : raw;
  const parsed = ModeSchema.safeParse(typeof candidate === 'string' ? candidate.trim() : candidate);
  return parsed.success ? parsed.data : 'prompt_for_more';
}

/** Fails closed: anything but an explicit verdict counts as unsafe. */
export function toSafetyVerdict(raw: unknown): SafetyVerdict {
  const verdict = raw as Partial<SafetyVerdict> | null;
  if (verdict && typeof verdict === 'object' && typeof verdict.safe === 'boolean') {
    return verdict.reason ? { safe: verdict.safe, reason: verdict.reason } : { safe: verdict.safe };
  }
  return { safe: false, reason: 'the safety check gave no verdict' };
}

/** A response step's output: its text, and the reasoning before it when the model showed any. */
export const responseOutput = ({ response, reasoning }: AgentContext): ResponseOutput =>
  reasoning === '' ? { content: response } : { content: response, reasoning };

type EndTurnParams = { outcome: TurnOutcome; failedStep?: ReportedStep };

const failTurn =
  (step: ReportedStep) =>
  ({ event }: { event: { error: unknown } }): EndTurnParams => ({
    // The one place an actor's failure becomes the contract's error; anything unexpected is logged there.
    outcome: { status: 'error', error: toAppError(event.error).toInfo() },
    failedStep: step,
  });

export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    emitted: {} as AgentEmitted,
    input: {} as AgentInput,
  },
  actors: {
    checkSafety: notProvided<SafetyVerdict, AnalysisInput>('checkSafety'),
    decideMode: notProvided<unknown, AnalysisInput>('decideMode'),
    respond: notProvided<string, RespondInput>('respond'),
  },
  guards: {
    isUnsafe: ({ context }) => context.safety?.safe === false,
    modeIs: ({ context }, params: { mode: Mode }) => context.mode === params.mode,
    /**
     * Whether the mode is decided beside the safety check (the default: the first token comes a whole model call
     * sooner) or after it (PRE_STEPS=sequential: one call at a time, and no router call for a refused prompt).
     */
    preStepsInParallel: (_args, _params: undefined) => true,
    isChecked: ({ context }) => context.safety !== null,
  },
  actions: {
    acceptPrompt: assign(({ context, event }) => {
      const prompted = event.type === 'user.prompt' || event.type === 'user.regenerate';
      const prompt = prompted ? event.prompt : '';
      const files = prompted && event.attachments?.length ? { attachments: event.attachments } : {};
      return {
        prompt,
        history: [...context.history, { role: 'user' as const, content: prompt, ...files }],
        safety: event.type === 'user.regenerate' ? toSafetyVerdict(event.safety) : null,
        mode: event.type === 'user.regenerate' ? toMode(event.mode) : null,
        responseStep: null,
        response: '',
        reasoning: '',
        steps: {},
        outcome: null,
      };
    }),
    startStep: enqueueActions(({ enqueue, context }, params: { name: ReportedStep }) => {
      enqueue.assign({ steps: { ...context.steps, [params.name]: 'started' } });
      enqueue.emit({ type: 'step', name: params.name, status: 'started' });
    }),
    completeAnalysis: enqueueActions(({ enqueue, context }, params: { step: AnalysisStep; output: unknown }) => {
      const steps = { ...context.steps, [params.step]: 'completed' as const };
      if (params.step === 'check_safety') {
        const safety = toSafetyVerdict(params.output);
        enqueue.assign({ safety, steps });
        enqueue.emit({ type: 'step', name: params.step, status: 'completed', output: safety });
      } else {
        const mode = toMode(params.output);
        enqueue.assign({ mode, steps });
        enqueue.emit({ type: 'step', name: params.step, status: 'completed', output: { mode } });
      }
    }),
    completeResponse: enqueueActions(({ enqueue, context }, params: { step: ResponseStep }) => {
      enqueue.assign({ steps: { ...context.steps, [params.step]: 'completed' } });
      enqueue.emit({ type: 'step', name: params.step, status: 'completed', output: responseOutput(context) });
    }),
    announceResponse: enqueueActions(({ enqueue }, params: { step: ResponseStep }) => {
      enqueue.assign({ responseStep: params.step, response: '', reasoning: '' });
      enqueue.emit({ type: 'mode', step: params.step });
    }),
    reportCall: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'model.call') enqueue.emit({ type: 'call', step: event.step, call: event.call });
    }),
    appendDelta: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'response.delta' || event.delta === '') return;
      enqueue.assign({ response: context.response + event.delta });
      enqueue.emit({ type: 'delta', delta: event.delta });
    }),
    appendReasoning: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'response.reasoning' || event.delta === '') return;
      enqueue.assign({ reasoning: context.reasoning + event.delta });
      enqueue.emit({ type: 'reasoning', delta: event.delta });
    }),
    /** Ends the turn: closes steps still open, keeps any text in the history, and reports the outcome. */
    endTurn: enqueueActions(
      ({ enqueue, context }, params: EndTurnParams) => {
        const steps = { ...context.steps };
        for (const [name, status] of Object.entries(steps) as [ReportedStep, StepStatus][]) {
          if (status !== 'started') continue;
          const closed: StepStatus = name === params.failedStep ? 'failed' : 'interrupted';
          steps[name] = closed;
          // A response step cut short still produced what it streamed so far.
          const output = name === context.responseStep ? responseOutput(context) : undefined;
          enqueue.emit({ type: 'step', name, status: closed, ...(output ? { output } : {}) });
        }
        const history =
          context.response === ''
            ? context.history
            : [...context.history, { role: 'assistant' as const, content: context.response }];
        enqueue.assign({ steps, history, outcome: params.outcome, turns: context.turns + 1 });
        enqueue.emit({ type: 'turn.ended', outcome: params.outcome });
      },
    ),
  },
}).createMachine({
  id: 'agent',
  initial: 'prompt',
  context: ({ input }) => ({
    history: input.history ?? [],
    prompt: '',
    safety: null,
    mode: null,
    responseStep: null,
    response: '',
    reasoning: '',
    steps: {},
    outcome: null,
    turns: 0,
  }),
  states: {
    prompt: {
      on: {
        'user.prompt': { target: 'analyzing', actions: 'acceptPrompt' },
        'user.regenerate': { target: 'routing', actions: 'acceptPrompt' },
      },
    },
    analyzing: {
      type: 'parallel',
      on: {
        cancel: {
          target: 'prompt',
          actions: { type: 'endTurn', params: { outcome: { status: 'interrupted' } } },
        },
      },
      states: {
        check_safety: analysisRegion('check_safety', 'checkSafety'),
        decide_mode: {
          initial: 'waiting',
          states: {
            waiting: {
              always: [
                { guard: 'preStepsInParallel', target: 'running' },
                // Run one after the other, a refused prompt needs no mode: routing sends it to the refusal.
                { guard: 'isUnsafe', target: 'skipped' },
                { guard: 'isChecked', target: 'running' },
              ],
            },
            skipped: { type: 'final' },
            ...analysisRegion('decide_mode', 'decideMode').states,
          },
        },
      },
      onDone: 'routing',
    },
    /** Chooses the response from the verdict and the mode: an unsafe verdict wins. */
    routing: {
      always: [
        { guard: 'isUnsafe', target: 'unsafe_response' },
        { guard: { type: 'modeIs', params: { mode: 'generate_code' } }, target: 'generate_code' },
        { guard: { type: 'modeIs', params: { mode: 'generate_poem' } }, target: 'generate_poem' },
        { guard: { type: 'modeIs', params: { mode: 'answer_question' } }, target: 'answer_question' },
        { target: 'prompt_for_more' },
      ],
    },
    answer_question: respondState('answer_question'),
    generate_poem: respondState('generate_poem'),
    generate_code: respondState('generate_code'),
    prompt_for_more: respondState('prompt_for_more'),
    unsafe_response: respondState('unsafe_response'),
  },
});


/**
 * The two analysis steps are regions of one parallel state: each runs its actor, then rests in `done`
 * (decide_mode first waits for its turn when the steps run one after the other).
 */
function analysisRegion(step: AnalysisStep, src: 'checkSafety' | 'decideMode') {
  return {
    initial: 'running',
    states: {
      running: {
        entry: { type: 'startStep', params: { name: step } },
        on: { 'model.call': { actions: 'reportCall' } },
        invoke: {
          src,
          input: ({ context, self }: { context: AgentContext; self: ActorParent }) => ({
            step,
            prompt: context.prompt,
            history: context.history,
            parent: self,
          }),
          onDone: {
            target: 'done',
            actions: {
              type: 'completeAnalysis',
              params: ({ event }: { event: { output: unknown } }) => ({ step, output: event.output }),
            },
          },
          onError: { target: '#agent.prompt', actions: { type: 'endTurn', params: failTurn(step) } },
        },
      },
      done: { type: 'final' },
    },
  } as const;
}

/** Every response step has the same shape: stream from the `respond` actor, then rest in `prompt`. */
function respondState(step: ResponseStep) {
  return {
    entry: [
      { type: 'announceResponse', params: { step } },
      { type: 'startStep', params: { name: step } },
    ],
    invoke: {
      src: 'respond',
      input: ({ context, self }: { context: AgentContext; self: RespondInput['parent'] }) => ({
        step,
        prompt: context.prompt,
        history: context.history,
        parent: self,
      }),
      onDone: {
        target: 'prompt',
        actions: [
          { type: 'completeResponse', params: { step } },
          { type: 'endTurn', params: { outcome: { status: 'complete' } } },
        ],
      },
      onError: {
        target: 'prompt',
        actions: {
          type: 'endTurn',
          params: failTurn(step),
        },
      },
    },
    on: {
      'response.delta': { actions: 'appendDelta' },
      'response.reasoning': { actions: 'appendReasoning' },
      'model.call': { actions: 'reportCall' },
      cancel: {
        target: 'prompt',
        actions: { type: 'endTurn', params: { outcome: { status: 'interrupted' } } },
      },
    },
  } as const;
}

export type AgentMachine = typeof agentMachine;
