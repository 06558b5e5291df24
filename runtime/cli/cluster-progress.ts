import { Writable } from 'node:stream';
import { createLogUpdate } from 'log-update';
import type { ClusterEvent } from '../cluster/cluster-events.js';
import type { ComponentState } from '../cluster/component-state.js';
import { escapeControl } from '../data/control-characters.js';
import type { CommandContext } from './command-context.js';

const MARK: Partial<Record<ComponentState, string>> = {
  'not-started': '·',
  deployed: '✓',
  deleted: '✓',
  'rolled-back': '↺',
  failed: '✗',
  'upgrade-failed': '✗',
  'scale-failed': '✗',
  'restart-failed': '✗',
  'delete-failed': '✗',
  'rollback-failed': '✗',
};

/**
 * A cluster operation's progress on stderr. On a terminal: one line per
 * component, redrawn in place as its state changes (with how long the ones
 * in flight have been at it), then left on screen as the summary. Anywhere
 * else (a pipe, CI's log, a terminal of no size): one plain line per event, in order. With --json,
 * nothing: stdout carries the one document.
 *
 * `log` is where the task services' log lines go meanwhile: on a terminal
 * it lifts the block, writes the lines above it and draws it again (the
 * block is redrawn by erasing the lines it wrote last, so anything else
 * written to the terminal in between would be erased instead).
 */
export function clusterProgress(cli: CommandContext, json: boolean): ClusterProgress {
  const plain = { done: () => undefined, log: cli.io.stderr };
  if (json) return { ...plain, onEvent: () => undefined };
  const stream = cli.io.stderr as NodeJS.WriteStream;
  // A terminal of no known size (rows 0: a pty nobody sized) could show nothing in place: plain lines there too.
  if (stream.isTTY !== true || stream.rows === 0) return { ...plain, onEvent: plainLines(cli) };

  const render = createLogUpdate(stream, { showCursor: true });
  const rows = new Map<string, { state: ComponentState | 'skipped'; since: number; note?: string }>();
  let title = '';
  const draw = () => {
    const now = Date.now();
    const width = Math.max(0, ...[...rows.keys()].map((name) => name.length));
    const lines = [...rows].map(([name, row]) => {
      const inFlight = row.state.endsWith('ing');
      const mark = row.state === 'skipped' ? '=' : inFlight ? '…' : MARK[row.state] ?? ' ';
      const took = inFlight ? ` ${Math.round((now - row.since) / 1000)} s` : '';
      return `  ${mark} ${escapeControl(name).padEnd(width)}  ${row.state}${took}${row.note === undefined ? '' : `  ${escapeControl(row.note)}`}`;
    });
    render([title, ...lines].join('\n'));
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  let finished = false;
  const log = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!finished) render.clear();
      stream.write(chunk);
      if (!finished) draw();
      callback();
    },
  });
  return {
    log,
    onEvent: (event) => {
      if (event.type === 'operation-started') {
        title = `${event.operation} of cluster ${escapeControl(event.cluster)}`;
        for (const wave of event.waves) for (const name of wave) rows.set(name, { state: 'not-started', since: Date.now() });
      } else if (event.type === 'component-skipped') rows.set(event.component, { state: 'skipped', since: Date.now(), note: 'already deployed' });
      else if (event.type === 'component-started') rows.set(event.component, { state: event.state, since: Date.now() });
      else if (event.type === 'component-finished') rows.set(event.component, { state: event.state, since: Date.now(), ...(event.error === undefined ? {} : { note: `${event.error.code}: ${event.error.message}` }) });
      else if (event.type === 'rollback-started') title = `${title} — rolling back ${event.components.length}`;
      draw();
      if (event.type === 'operation-finished') {
        finished = true;
        clearInterval(timer);
        render.done();
      }
    },
    done: () => {
      finished = true;
      clearInterval(timer);
      render.done();
    },
  };
}

export interface ClusterProgress {
  onEvent: (event: ClusterEvent) => void;
  /** Ends the display, leaving its last frame on screen. */
  done: () => void;
  /** Where log lines go while it is shown. */
  log: NodeJS.WritableStream;
}

function plainLines(cli: CommandContext): (event: ClusterEvent) => void {
  return (event) => {
    const line = (text: string) => cli.io.stderr.write(`${escapeControl(text)}\n`);
    if (event.type === 'wave-started') line(`wave ${event.wave + 1}: ${event.components.join(', ')}`);
    else if (event.type === 'component-started') line(`  ${event.component}: ${event.state}…`);
    else if (event.type === 'component-skipped') line(`  ${event.component}: already deployed, skipped`);
    else if (event.type === 'component-finished') line(`  ${event.component}: ${event.state}${event.error === undefined ? '' : ` (${event.error.code}: ${event.error.message})`}`);
    else if (event.type === 'rollback-started') line(`rolling back: ${event.components.join(', ')}`);
  };
}
