import type { ProvErrorJson } from '../errors/index.js';
import { ProvError } from '../errors/index.js';
import { provHome } from '../state/prov-home.js';
import { Store } from '../state/store.js';
import { componentHash, type ClusterComponent } from './cluster-component.js';
import { IN_FLIGHT, MAY_BE_INSTALLED, type ClusterOperation, type ComponentOutcome, type ComponentState } from './component-state.js';
import type { DeploymentPlan } from './deployment-plan.js';

/** One component as recorded: its outcome plus what a later rollback needs to uninstall it. */
export interface RecordedComponent extends ComponentOutcome {
  component: ClusterComponent;
  /** See componentHash: task service, version and config. */
  configHash: string;
  /** 1 for the first component this cluster's deploys completed, 2 for the next…; rollbacks go in reverse. */
  deployedSeq?: number;
  updatedAt: string;
}

/**
 * A cluster's recorded deployment. `interrupted` is a `running` operation
 * whose process is gone: its components in an `-ing` state (`inFlight`)
 * were being worked on when it died.
 */
export interface DeploymentStatus {
  cluster: string;
  /** The inventory server it is deployed on (unknown for records older than that column). */
  server?: string;
  operation: ClusterOperation;
  state: 'running' | 'succeeded' | 'failed' | 'interrupted';
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** By wave, then name (a component dropped from the definition but maybe installed keeps its last wave). */
  components: RecordedComponent[];
  inFlight: string[];
}

interface DeploymentRow {
  cluster: string;
  server: string | null;
  operation: string;
  state: string;
  pid: number;
  started_at: string;
  updated_at: string;
}

interface ComponentRow {
  name: string;
  wave: number;
  component: string;
  hash: string;
  state: string;
  error: string | null;
  deployed_seq: number | null;
  updated_at: string;
}

/** Clusters this process is operating on (by home and name): a pid check cannot tell two of them apart. */
const ACTIVE = new Set<string>();

/**
 * The store's record of cluster deployments. Every change is its own
 * committed transaction, made before the runner is called and again when it
 * returns, so a process killed at any point leaves a record that says what
 * was deployed, what was in flight and what was not started.
 *
 * One operation per cluster at a time: `begin` refuses while another live
 * process, or this one, runs an operation on the same cluster; a dead
 * process's `running` record is taken over (that is what a resume is).
 */
export class DeploymentRecords {
  readonly #active: string;
  #released = false;

  private constructor(
    private readonly store: Store,
    readonly cluster: string,
    home: string,
  ) {
    this.#active = `${home}\0${cluster}`;
  }

  /** Reads `cluster`'s record without claiming it. */
  static read(cluster: string, env: NodeJS.ProcessEnv = process.env): DeploymentStatus | undefined {
    const store = Store.open(env);
    try {
      return readStatus(store, cluster, provHome(env));
    } finally {
      store.close();
    }
  }

  /**
   * Claims `cluster` for `operation` and lets `prepare` adjust its component
   * rows, in one transaction. Throws ClusterBusy when it is already claimed.
   * `server`, when given, is recorded as where the cluster is deployed.
   */
  static begin(cluster: string, operation: ClusterOperation, env: NodeJS.ProcessEnv, prepare: (records: DeploymentRecords) => void, server?: string): DeploymentRecords {
    const home = provHome(env);
    const key = `${home}\0${cluster}`;
    if (ACTIVE.has(key)) throw busy(cluster, process.pid);
    const store = Store.open(env);
    const records = new DeploymentRecords(store, cluster, home);
    try {
      store.transaction(() => {
        const row = store.db.prepare('SELECT * FROM cluster_deployments WHERE cluster = ?').get(cluster) as unknown as DeploymentRow | undefined;
        if (row !== undefined && row.state === 'running' && row.pid !== process.pid && isAlive(row.pid)) throw busy(cluster, row.pid);
        const now = new Date().toISOString();
        store.db
          .prepare(`INSERT INTO cluster_deployments (cluster, operation, state, pid, started_at, updated_at, server) VALUES (?, ?, 'running', ?, ?, ?, ?)
                    ON CONFLICT (cluster) DO UPDATE SET operation = excluded.operation, state = 'running', pid = excluded.pid, started_at = excluded.started_at,
                      updated_at = excluded.updated_at, server = COALESCE(excluded.server, server)`)
          .run(cluster, operation, process.pid, now, now, server ?? null);
        prepare(records);
      });
    } catch (error) {
      store.close();
      throw error;
    }
    ACTIVE.add(key);
    return records;
  }

  /** The component rows as they stand (inside `prepare`, before its changes are committed). */
  components(): RecordedComponent[] {
    return readComponents(this.store, this.cluster);
  }

  /**
   * Makes the rows match `plan` for a deploy: a component recorded as
   * deployed with the same hash stays deployed when `resume`; every other
   * one of the plan becomes not-started. Rows of components the plan no
   * longer has are kept only when they may be installed (a rollback still
   * has to undo them). Returns the names left deployed.
   */
  resetForDeploy(plan: DeploymentPlan, resume: boolean): Set<string> {
    const recorded = new Map(this.components().map((row) => [row.name, row]));
    const kept = new Set<string>();
    plan.waves.forEach((wave, index) => {
      for (const component of wave) {
        const hash = componentHash(component);
        const row = recorded.get(component.name);
        const keep = resume && row?.state === 'deployed' && row.configHash === hash;
        if (keep) kept.add(component.name);
        this.#upsert(component, index, hash, keep ? 'deployed' : 'not-started', keep ? row.deployedSeq ?? null : null);
        recorded.delete(component.name);
      }
    });
    for (const row of recorded.values()) {
      if (!MAY_BE_INSTALLED.has(row.state)) this.store.db.prepare('DELETE FROM cluster_components WHERE cluster = ? AND name = ?').run(this.cluster, row.name);
    }
    return kept;
  }

  /** Records the plan's components for a delete, keeping each one's state and deploy order. */
  recordForDelete(plan: DeploymentPlan): void {
    const recorded = new Map(this.components().map((row) => [row.name, row]));
    plan.waves.forEach((wave, index) => {
      for (const component of wave) {
        const row = recorded.get(component.name);
        this.#upsert(component, index, componentHash(component), row?.state ?? 'not-started', row?.deployedSeq ?? null, row?.error);
      }
    });
  }

  /**
   * Commits a component's definition with its state, creating its row if
   * it has none (a component an upgrade adds). Its place in the deploy
   * order is kept (`keep`: an upgrade or a scale changes what runs, not
   * when it was deployed), cleared (`clear`: an install begins) or made the
   * last (`next`: an install just completed).
   */
  replace(component: ClusterComponent, wave: number, state: ComponentState, order: 'keep' | 'clear' | 'next' = 'keep'): void {
    this.store.transaction(() => {
      const row = this.components().find((each) => each.name === component.name);
      const seq = order === 'keep' ? row?.deployedSeq ?? null : order === 'clear' ? null : this.#nextSeq();
      this.#upsert(component, wave, componentHash(component), state, seq);
    });
  }

  /**
   * Numbers the components that may be installed in the order of `names`
   * (deploy order), so a rollback, which goes in reverse, never removes a
   * component before one that depends on it — after an upgrade added
   * components and dependencies, completion order no longer says that.
   */
  renumber(names: readonly string[]): void {
    this.store.transaction(() => {
      const installed = new Set(this.components().filter((row) => MAY_BE_INSTALLED.has(row.state)).map((row) => row.name));
      let seq = 0;
      for (const name of names) {
        if (installed.has(name)) this.store.db.prepare('UPDATE cluster_components SET deployed_seq = ? WHERE cluster = ? AND name = ?').run(++seq, this.cluster, name);
      }
    });
  }

  #nextSeq(): number {
    return (this.store.db.prepare('SELECT COALESCE(MAX(deployed_seq), 0) + 1 AS next FROM cluster_components WHERE cluster = ?').get(this.cluster) as { next: number }).next;
  }

  /** Commits one component's new state (and, on `deployed`, its place in the deploy order). */
  set(name: string, state: ComponentState, error?: ProvErrorJson): void {
    this.store.transaction(() => {
      const now = new Date().toISOString();
      const seq = state === 'deployed' ? this.#nextSeq() : null;
      this.store.db
        .prepare(`UPDATE cluster_components SET state = ?, error = ?, deployed_seq = COALESCE(?, deployed_seq), updated_at = ? WHERE cluster = ? AND name = ?`)
        .run(state, error === undefined ? null : JSON.stringify(error), seq, now, this.cluster, name);
      this.store.db.prepare('UPDATE cluster_deployments SET updated_at = ? WHERE cluster = ?').run(now, this.cluster);
    });
  }

  /** Ends the operation: its record says whether it succeeded, and the cluster is free again. */
  finish(ok: boolean): void {
    if (this.#released) return;
    try {
      this.store.transaction(() => {
        this.store.db.prepare('UPDATE cluster_deployments SET state = ?, updated_at = ? WHERE cluster = ?').run(ok ? 'succeeded' : 'failed', new Date().toISOString(), this.cluster);
      });
    } finally {
      this.release();
    }
  }

  /** Frees the cluster without recording an outcome (the record stays `running`, and reads as interrupted). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    ACTIVE.delete(this.#active);
    this.store.close();
  }

  #upsert(component: ClusterComponent, wave: number, hash: string, state: ComponentState, deployedSeq: number | null, error?: ProvErrorJson): void {
    this.store.db
      .prepare(`INSERT INTO cluster_components (cluster, name, wave, component, hash, state, error, deployed_seq, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (cluster, name) DO UPDATE SET wave = excluded.wave, component = excluded.component, hash = excluded.hash, state = excluded.state,
                  error = excluded.error, deployed_seq = excluded.deployed_seq, updated_at = excluded.updated_at`)
      .run(this.cluster, component.name, wave, JSON.stringify(component), hash, state, error === undefined ? null : JSON.stringify(error), deployedSeq, new Date().toISOString());
  }
}

function readStatus(store: Store, cluster: string, home: string): DeploymentStatus | undefined {
  const row = store.db.prepare('SELECT * FROM cluster_deployments WHERE cluster = ?').get(cluster) as unknown as DeploymentRow | undefined;
  if (row === undefined) return undefined;
  const components = readComponents(store, cluster);
  const running = row.state === 'running';
  const stillRunning = running && (row.pid === process.pid ? ACTIVE.has(`${home}\0${cluster}`) : isAlive(row.pid));
  return {
    cluster,
    ...(row.server === null ? {} : { server: row.server }),
    operation: row.operation as ClusterOperation,
    state: running && !stillRunning ? 'interrupted' : (row.state as DeploymentStatus['state']),
    pid: row.pid,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    components,
    inFlight: components.filter((component) => IN_FLIGHT.has(component.state)).map((component) => component.name),
  };
}

function readComponents(store: Store, cluster: string): RecordedComponent[] {
  const rows = store.db.prepare('SELECT * FROM cluster_components WHERE cluster = ? ORDER BY wave, name').all(cluster) as unknown as ComponentRow[];
  return rows.map((row) => ({
    name: row.name,
    wave: row.wave,
    state: row.state as ComponentState,
    ...(row.error === null ? {} : { error: JSON.parse(row.error) as ProvErrorJson }),
    component: JSON.parse(row.component) as ClusterComponent,
    configHash: row.hash,
    ...(row.deployed_seq === null ? {} : { deployedSeq: row.deployed_seq }),
    updatedAt: row.updated_at,
  }));
}

/** Whether a process of that id exists (EPERM: it does, it is just not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busy(cluster: string, pid: number): ProvError {
  return new ProvError('ClusterBusy', `Cluster "${cluster}" is being deployed, rolled back or deleted by another operation (process ${pid})`, {
    hint: 'Wait for it to finish; "prov cluster status" shows its progress.',
    details: { cluster, pid },
  });
}
