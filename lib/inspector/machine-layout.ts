import 'server-only';
import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import { agentMachine } from '@/lib/agent/machine';
import { LINE_HEIGHT } from '@/lib/inspector/diagram-metrics';
import { machineGraph, transitionLabel, type MachineEdge, type MachineGraph, type MachineNode } from '@/lib/inspector/machine-graph';

export type Point = { x: number; y: number };
export type Box = Point & { width: number; height: number };

/** A state placed on the picture: absolute coordinates, and the lines of text it shows. */
export type PlacedNode = MachineNode & Box & { lines: string[]; container: boolean };
/** An arrow between two states: every transition from one to the other (`transitions`), drawn once. */
export type PlacedEdge = MachineEdge & { transitions: MachineEdge[]; points: Point[]; label: (Box & { text: string }) | null };
export type MachineLayout = { width: number; height: number; initial: string | null; nodes: PlacedNode[]; edges: PlacedEdge[] };

const CHAR_WIDTH = 7;
const TITLE_HEIGHT = 26;
const PADDING = 12;

const textWidth = (text: string) => Math.ceil(text.length * CHAR_WIDTH);
/** Transition labels are set at 11 px. */
const labelWidth = (text: string) => Math.ceil(text.length * 6) + 8;

/** What a state shows under its name: what it invokes and the events it handles in place. */
function detailLines(node: MachineNode): string[] {
  return [...node.invokes.map((src) => `invoke ${src}`), ...(node.handles.length ? [`on ${node.handles.join(', ')}`] : [])];
}

/**
 * Lays the machine out with ELK (layered, left to right, compound states drawn around their children), in
 * absolute coordinates ready for SVG.
 */
export async function layoutMachine(graph: MachineGraph): Promise<MachineLayout> {
  const childrenOf = (parent: string | null) => graph.nodes.filter((node) => node.parent === parent);

  const toElk = (node: MachineNode): ElkNode => {
    const children = childrenOf(node.id);
    const lines = detailLines(node);
    if (children.length > 0) {
      return {
        id: node.id,
        children: children.map(toElk),
        layoutOptions: {
          'elk.padding': `[top=${TITLE_HEIGHT + lines.length * LINE_HEIGHT},left=${PADDING},bottom=${PADDING},right=${PADDING}]`,
          'elk.nodeSize.minimum': `(${textWidth(node.key) + 2 * PADDING}, 0)`,
          'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        },
      };
    }
    const width = Math.max(textWidth(node.key), ...lines.map(textWidth)) + 2 * PADDING;
    return { id: node.id, width, height: TITLE_HEIGHT + lines.length * LINE_HEIGHT + (lines.length ? 6 : 0) };
  };

  // Transitions between the same two states are drawn as one arrow carrying all their labels.
  const bundles = new Map<string, MachineEdge[]>();
  for (const edge of graph.edges) {
    const key = `${edge.source}->${edge.target}`;
    bundles.set(key, [...(bundles.get(key) ?? []), edge]);
  }
  const edges: ElkExtendedEdge[] = [...bundles.values()].map((bundle) => {
    const text = bundle.map(transitionLabel).join(' | ');
    const [first] = bundle as [MachineEdge];
    return { id: first.id, sources: [first.source], targets: [first.target], labels: [{ text, width: labelWidth(text), height: LINE_HEIGHT }] };
  });

  const root: ElkNode = await new ELK().layout({
    id: graph.id,
    layoutOptions: {
      'elk.algorithm': 'layered',
      // Left to right: the prompt, the checks side by side, the five ways to answer stacked.
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.padding': '[top=24,left=24,bottom=24,right=24]',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '44',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      // The states in the order the machine lists them: the resting state first, transitions back to it go up.
      'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: childrenOf(null).map(toElk),
    edges,
  });

  // ELK gives each node relative to its parent and each edge relative to its container: make them absolute.
  const boxes = new Map<string, Box>();
  const place = (node: ElkNode, parent: Point) => {
    const box = { x: parent.x + (node.x ?? 0), y: parent.y + (node.y ?? 0), width: node.width ?? 0, height: node.height ?? 0 };
    boxes.set(node.id, box);
    for (const child of node.children ?? []) place(child, box);
  };
  for (const child of root.children ?? []) place(child, { x: 0, y: 0 });

  const nodes: PlacedNode[] = graph.nodes.map((node) => ({
    ...node,
    ...(boxes.get(node.id) ?? { x: 0, y: 0, width: 0, height: 0 }),
    lines: detailLines(node),
    container: childrenOf(node.id).length > 0,
  }));

  const laidEdges = new Map<string, ElkExtendedEdge & { container?: string }>();
  const collect = (node: ElkNode) => {
    for (const edge of node.edges ?? []) laidEdges.set(edge.id, edge);
    for (const child of node.children ?? []) collect(child);
  };
  collect(root);

  const placedEdges: PlacedEdge[] = [...bundles.values()].flatMap((bundle) => {
    const [edge] = bundle as [MachineEdge];
    const laid = laidEdges.get(edge.id);
    const section = laid?.sections?.[0];
    if (!laid || !section) return [];
    // Edges the root contains are already absolute.
    const offset = boxes.get(laid.container ?? graph.id) ?? { x: 0, y: 0 };
    const shift = (p: Point) => ({ x: p.x + offset.x, y: p.y + offset.y });
    const label = laid.labels?.[0];
    return [
      {
        ...edge,
        transitions: bundle,
        points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map(shift),
        label: label
          ? { text: label.text ?? '', ...shift({ x: label.x ?? 0, y: label.y ?? 0 }), width: label.width ?? 0, height: label.height ?? 0 }
          : null,
      },
    ];
  });

  return { width: root.width ?? 0, height: root.height ?? 0, initial: graph.initial, nodes, edges: placedEdges };
}

let agentLayout: Promise<MachineLayout> | undefined;

/** The agent machine's picture, laid out once per process (the machine does not change while it runs). */
export function getAgentMachineLayout(): Promise<MachineLayout> {
  agentLayout ??= layoutMachine(machineGraph(agentMachine)).catch((error: unknown) => {
    agentLayout = undefined;
    throw error;
  });
  return agentLayout;
}
