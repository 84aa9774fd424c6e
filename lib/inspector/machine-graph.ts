/**
 * The agent machine as a graph, read from its definition: every state and transition, for the inspector to draw.
 * Pure data, safe to send to the browser; the picture changes when the machine does, with no other edit.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { ReportedStep, StepStatus } from '@/lib/contract';

export type MachineNode = {
  /** The state's id, e.g. `agent.analyzing.check_safety`. */
  id: string;
  key: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The child a compound state enters first. */
  initial: string | null;
  /** The actors the state invokes (`checkSafety`, `respond`...). */
  invokes: string[];
  /** Events handled without leaving the state (`response.delta`...). */
  handles: string[];
};

export type MachineEdge = {
  id: string;
  source: string;
  target: string;
  /** What takes it: an event, or `done`/`error` of the state's actor, or `done` of a parallel state's regions. */
  event: string;
  /** The guard that must hold, e.g. `isUnsafe` or `modeIs(generate_code)`; the unguarded last choice is `else`. */
  guard: string | null;
};

export type MachineGraph = {
  id: string;
  /** The state the machine starts in, and rests in between turns. */
  initial: string | null;
  nodes: MachineNode[];
  edges: MachineEdge[];
};

/** `xstate.done.actor.0.agent.x` reads as `done`, `xstate.done.state.agent.analyzing` as `done`. */
function eventLabel(event: string): string {
  if (event.startsWith('xstate.done.')) return 'done';
  if (event.startsWith('xstate.error.')) return 'error';
  return event;
}

function guardLabel(guard: unknown): string | null {
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  const { type, params } = guard as { type?: string; params?: Record<string, unknown> };
  const args = params && typeof params === 'object' ? Object.values(params).map(String).join(', ') : '';
  return args ? `${type}(${args})` : (type ?? 'guard');
}

/** How a transition reads on the picture: `event [guard]`; an eventless one by its guard alone. */
export function transitionLabel(edge: MachineEdge): string {
  if (edge.event === 'always') return edge.guard ? `[${edge.guard}]` : 'always';
  return edge.guard ? `${edge.event} [${edge.guard}]` : edge.event;
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes: MachineNode[] = [];
  const edges: MachineEdge[] = [];

  const visit = (node: AnyStateNode, parent: string | null) => {
    const handles: string[] = [];
    const transitions: [string, AnyStateNode['always'] & object][] = [...node.transitions];
    if (node.always) transitions.push(['always', node.always]);
    for (const [event, definitions] of transitions) {
      const guarded = definitions.length > 1;
      definitions.forEach((definition, index) => {
        const targets = definition.target ?? [];
        if (targets.length === 0) {
          handles.push(eventLabel(event));
          return;
        }
        const guard = guardLabel(definition.guard) ?? (guarded && index === definitions.length - 1 ? 'else' : null);
        for (const target of targets) {
          edges.push({ id: `${node.id}:${event}:${index}:${target.id}`, source: node.id, target: target.id, event: eventLabel(event), guard });
        }
      });
    }
    const children = Object.values(node.states) as AnyStateNode[];
    if (parent !== null) {
      nodes.push({
        id: node.id,
        key: node.key,
        parent: parent === machine.root.id ? null : parent,
        type: node.type,
        initial: node.type === 'compound' ? (node.initial?.target[0]?.id ?? null) : null,
        invokes: node.invoke.map((definition) => (typeof definition.src === 'string' ? definition.src : definition.id)),
        handles: [...new Set(handles)],
      });
    }
    for (const child of children) visit(child, node.id);
  };
  visit(machine.root, null);

  return { id: machine.root.id, initial: machine.root.initial?.target[0]?.id ?? null, nodes, edges };
}

/**
 * The states active for the steps of a run as its stream reports them, with their ancestors: a running step's
 * state (for a region, the child that invokes its actor), a finished region's final state while its sibling still
 * runs, and a region not started yet in the state it starts in (decide_mode waiting when the steps run in sequence).
 * With no step running (no run, or a run that has ended), the state the machine rests in.
 */
export function activeStates(
  graph: Pick<MachineGraph, 'initial' | 'nodes' | 'edges'>,
  steps: Partial<Record<ReportedStep, StepStatus>> | null,
): Set<string> {
  const byKey = new Map(graph.nodes.map((node) => [node.key, node]));
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const childrenOf = (id: string) => graph.nodes.filter((node) => node.parent === id);
  const active = new Set<string>();
  const withAncestors = (id: string | null | undefined) => {
    for (let node = id ? byId.get(id) : undefined; node; node = node.parent ? byId.get(node.parent) : undefined) {
      active.add(node.id);
    }
  };
  const entries = (Object.entries(steps ?? {}) as [ReportedStep, StepStatus][]).flatMap(([name, status]) => {
    const node = byKey.get(name);
    return node ? [{ node, status }] : [];
  });
  /** A region runs in its child that invokes the step's actor, and rests in the final state that child reaches. */
  const regionState = (region: MachineNode, status: StepStatus | undefined) => {
    const worker = childrenOf(region.id).find((child) => child.invokes.length > 0);
    if (status === undefined) return region.initial;
    if (status === 'started') return worker?.id ?? region.initial;
    return graph.edges.find((edge) => edge.source === worker?.id && edge.event === 'done' && byId.get(edge.target)?.type === 'final')?.target;
  };
  // A running step of its own (the response) means the regions are behind it.
  const running = entries.find(({ node, status }) => status === 'started' && childrenOf(node.id).length === 0);
  if (running) withAncestors(running.node.id);
  else if (entries.some(({ status }) => status === 'started')) {
    // Every region of the parallel state: one not reported yet waits in the state it starts in.
    const parents = new Set(entries.filter(({ node }) => childrenOf(node.id).length > 0).map(({ node }) => node.parent));
    for (const parent of parents) {
      for (const region of parent ? childrenOf(parent) : []) {
        withAncestors(regionState(region, entries.find(({ node }) => node.id === region.id)?.status));
      }
    }
  }
  if (active.size === 0) withAncestors(graph.initial);
  return active;
}
