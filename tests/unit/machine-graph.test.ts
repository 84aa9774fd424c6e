import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { agentMachine } from '@/lib/agent/machine';
import { activeStates, machineGraph } from '@/lib/inspector/machine-graph';

const graph = machineGraph(agentMachine);
const edge = (source: string, target: string) =>
  graph.edges.filter((e) => e.source === `agent.${source}` && e.target === `agent.${target}`).map((e) => [e.event, e.guard]);

describe('the machine graph, read from the definition', () => {
  it('has every state, with the parallel checks as regions of one state', () => {
    expect(graph.initial).toBe('agent.prompt');
    const byId = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        'agent.prompt',
        'agent.analyzing',
        'agent.routing',
        'agent.analyzing.check_safety',
        'agent.analyzing.check_safety.running',
        'agent.analyzing.check_safety.done',
        'agent.analyzing.decide_mode',
        'agent.analyzing.decide_mode.waiting',
        'agent.analyzing.decide_mode.skipped',
        'agent.analyzing.decide_mode.running',
        'agent.analyzing.decide_mode.done',
        'agent.answer_question',
        'agent.generate_poem',
        'agent.generate_code',
        'agent.prompt_for_more',
        'agent.unsafe_response',
      ].sort(),
    );
    expect(byId['agent.analyzing']).toMatchObject({ type: 'parallel', parent: null });
    expect(byId['agent.analyzing.check_safety']).toMatchObject({ type: 'compound', parent: 'agent.analyzing', initial: 'agent.analyzing.check_safety.running' });
    expect(byId['agent.analyzing.check_safety.running']?.invokes).toEqual(['checkSafety']);
    expect(byId['agent.analyzing.decide_mode.done']?.type).toBe('final');
    // PRE_STEPS=sequential: the mode decision waits for the verdict, and a refused prompt skips it
    expect(byId['agent.analyzing.decide_mode']?.initial).toBe('agent.analyzing.decide_mode.waiting');
    expect(edge('analyzing.decide_mode.waiting', 'analyzing.decide_mode.running')).toEqual([
      ['always', 'preStepsInParallel'],
      ['always', 'isChecked'],
    ]);
    expect(edge('analyzing.decide_mode.waiting', 'analyzing.decide_mode.skipped')).toEqual([['always', 'isUnsafe']]);
    expect(byId['agent.answer_question']).toMatchObject({ invokes: ['respond'], handles: ['response.delta', 'response.reasoning', 'model.call'] });
  });

  it('has every transition, with its event and guard, the unguarded last choice as else', () => {
    expect(edge('prompt', 'analyzing')).toEqual([['user.prompt', null]]);
    expect(edge('prompt', 'routing')).toEqual([['user.regenerate', null]]);
    expect(edge('analyzing', 'routing')).toEqual([['done', null]]);
    expect(edge('routing', 'unsafe_response')).toEqual([['always', 'isUnsafe']]);
    expect(edge('routing', 'generate_code')).toEqual([['always', 'modeIs(generate_code)']]);
    expect(edge('routing', 'prompt_for_more')).toEqual([['always', 'else']]);
    expect(edge('analyzing', 'prompt')).toEqual([['cancel', null]]);
    expect(edge('analyzing.check_safety.running', 'analyzing.check_safety.done')).toEqual([['done', null]]);
    expect(edge('analyzing.decide_mode.running', 'prompt')).toEqual([['error', null]]);
    expect(edge('generate_poem', 'prompt').sort()).toEqual([['cancel', null], ['done', null], ['error', null]].sort());
  });

  it('follows the machine: a state added to it is a node with its transitions, with no other edit', () => {
    const { config } = agentMachine;
    const extended = createMachine({
      ...config,
      states: {
        ...config.states,
        prompt: { on: { ...config.states!.prompt!.on, 'user.review': 'review' } },
        review: { on: { approve: 'prompt' } },
      },
    } as typeof config);
    const larger = machineGraph(extended);
    expect(larger.nodes).toHaveLength(graph.nodes.length + 1);
    expect(larger.nodes.find((n) => n.id === 'agent.review')).toMatchObject({ parent: null, type: 'atomic' });
    expect(larger.edges.filter((e) => e.source === 'agent.review' || e.target === 'agent.review').map((e) => e.event).sort()).toEqual(['approve', 'user.review']);
  });
});

describe('the active states of a run', () => {
  const sorted = (set: Set<string>) => [...set].sort();

  it('rests in prompt with nothing running', () => {
    expect(sorted(activeStates(graph, null))).toEqual(['agent.prompt']);
    expect(sorted(activeStates(graph, { check_safety: 'completed', decide_mode: 'completed', answer_question: 'completed' }))).toEqual(['agent.prompt']);
  });

  it('shows both checks running side by side, then the one that finished first waiting in its final state', () => {
    expect(sorted(activeStates(graph, { check_safety: 'started', decide_mode: 'started' }))).toEqual([
      'agent.analyzing',
      'agent.analyzing.check_safety',
      'agent.analyzing.check_safety.running',
      'agent.analyzing.decide_mode',
      'agent.analyzing.decide_mode.running',
    ]);
    expect(sorted(activeStates(graph, { check_safety: 'completed', decide_mode: 'started' }))).toEqual([
      'agent.analyzing',
      'agent.analyzing.check_safety',
      'agent.analyzing.check_safety.done',
      'agent.analyzing.decide_mode',
      'agent.analyzing.decide_mode.running',
    ]);
  });

  it('one after the other (sequential): the mode decision waits while the safety check runs', () => {
    expect(sorted(activeStates(graph, { check_safety: 'started' }))).toEqual([
      'agent.analyzing',
      'agent.analyzing.check_safety',
      'agent.analyzing.check_safety.running',
      'agent.analyzing.decide_mode',
      'agent.analyzing.decide_mode.waiting',
    ]);
  });

  it('shows the response step alone once it runs', () => {
    expect(sorted(activeStates(graph, { check_safety: 'completed', decide_mode: 'completed', generate_poem: 'started' }))).toEqual(['agent.generate_poem']);
  });
});
