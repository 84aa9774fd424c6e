import { LINE_HEIGHT } from '@/lib/inspector/diagram-metrics';
import type { MachineLayout, PlacedEdge, PlacedNode, Point } from '@/lib/inspector/machine-layout';

const TITLE_BASELINE = 17;

const pathOf = (points: Point[]) => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');

function StateBox({ node, active }: { node: PlacedNode; active: boolean }) {
  const region = node.type === 'compound' && node.parent !== null;
  return (
    <g data-state={node.id} data-active={active || undefined} aria-label={`${node.key}${active ? ' (active)' : ''}`}>
      <rect
        x={node.x}
        y={node.y}
        width={node.width}
        height={node.height}
        rx={node.container ? 10 : 8}
        strokeDasharray={region ? '5 4' : undefined}
        className={
          active
            ? 'fill-accent/15 stroke-accent [stroke-width:2]'
            : node.container
              ? 'fill-transparent stroke-border'
              : 'fill-card stroke-muted-foreground/50'
        }
      />
      {node.type === 'final' && (
        <rect x={node.x + 3} y={node.y + 3} width={node.width - 6} height={node.height - 6} rx={6} className="fill-none stroke-muted-foreground/50" />
      )}
      <text x={node.x + 12} y={node.y + TITLE_BASELINE} className={`text-[12px] ${active ? 'fill-accent font-semibold' : 'fill-foreground font-medium'}`}>
        {node.key}
        {node.type === 'parallel' ? ' (parallel)' : ''}
      </text>
      {node.lines.map((line, i) => (
        <text key={line} x={node.x + 12} y={node.y + TITLE_BASELINE + (i + 1) * LINE_HEIGHT} className="fill-muted-foreground text-[11px]">
          {line}
        </text>
      ))}
    </g>
  );
}

function Transition({ edge }: { edge: PlacedEdge }) {
  return (
    <g data-edge={edge.id}>
      <path d={pathOf(edge.points)} markerEnd="url(#arrow)" className="fill-none stroke-muted-foreground" />
      {edge.label && (
        <g>
          <rect x={edge.label.x} y={edge.label.y} width={edge.label.width} height={edge.label.height} rx={3} className="fill-background" />
          <text x={edge.label.x + edge.label.width / 2} y={edge.label.y + 12} textAnchor="middle" className="fill-foreground text-[11px]">
            {edge.label.text}
          </text>
        </g>
      )}
    </g>
  );
}

/** The initial state's marker: a dot with an arrow into the state. */
function InitialMarker({ node }: { node: PlacedNode }) {
  const y = node.y + node.height / 2;
  return (
    <g aria-hidden>
      <circle cx={node.x - 26} cy={y} r={4} className="fill-foreground" />
      <path d={`M${node.x - 22},${y} L${node.x - 2},${y}`} markerEnd="url(#arrow)" className="stroke-foreground" />
    </g>
  );
}

/**
 * The agent machine, drawn from its layout: containers first so their children sit on top, then the transitions.
 * The states in `active` are highlighted (and carry `data-active`).
 */
export function MachineDiagram({ layout, active, title }: { layout: MachineLayout; active: ReadonlySet<string>; title: string }) {
  const initial = layout.nodes.find((node) => node.id === layout.initial);
  const depth = (node: PlacedNode) => node.id.split('.').length;
  const ordered = [...layout.nodes].sort((a, b) => depth(a) - depth(b));
  return (
    <svg
      role="img"
      aria-label={title}
      viewBox={`-8 0 ${layout.width + 16} ${layout.height}`}
      width={layout.width + 16}
      className="h-auto max-w-full font-sans"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="fill-muted-foreground" />
        </marker>
      </defs>
      {ordered.map((node) => (
        <StateBox key={node.id} node={node} active={active.has(node.id)} />
      ))}
      {layout.edges.map((edge) => (
        <Transition key={edge.id} edge={edge} />
      ))}
      {initial && <InitialMarker node={initial} />}
    </svg>
  );
}
