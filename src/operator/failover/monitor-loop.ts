// The failover monitor's loop: observe every host, decide (decide.ts, pure), act through the
// operator core, sleep; at once again when a held connection ends on the server's side. The only
// actor besides the tools that moves the writer, and it moves it only under the lock.
import type { ClusterDescription } from '../../constructs/description';
import type { MonitorConfig } from '../../constructs/monitor-config';
import { OPERATOR_USER, SecretName } from '../../model/accounts';
import { HostKind } from '../../model/plan';
import * as sql from '../../render/statements';
import type { WriterRoute } from '../../routes/writer-route';
import { channelTo } from '../channels';
import { MonitorState, otherLiveHolder } from '../monitor-state';
import { runOn } from '../server-ops';
import { connect, Login, queryRows, Secrets } from '../sql-client';
import { GALERA_BOOTSTRAP_LOCK, GALERA_WAITING_PORT } from '../../render/entrypoint';
import { Action, ActionKind, decide, decideGalera, Decision, EMPTY_MEMORY, MonitorMemory } from './decide';
import { failOver, FailoverContext } from './failover';
import { HostView, Observation, Reach } from './observation';
import { HostProbe, waitingPosition } from './probe';

/** How long a waiting Galera node may take to notice it was chosen (it looks twice a second). */
const BOOTSTRAP_NOTICE_MS = 30_000;

/** A look (or an action) running this long is reported, naming what it still waits for: each of its steps is bounded well below. */
const STUCK_SECONDS = 15;
/** A look or action still running after this long is a defect: the monitor ends, and its container restarts it (a failover's longest wait is the catch-up, 60 s by default). */
const STUCK_EXIT_SECONDS = 150;

/** The lock owner the monitor writes. */
export const MONITOR_OWNER = 'monitor';

export interface MonitorRuntime {
  readonly config: MonitorConfig;
  readonly operatorPassword: () => string;
  readonly replicationPassword: () => string;
  readonly state: MonitorState;
  /** The writer endpoint it steers, if there is one it can reach. */
  readonly route?: WriterRoute;
  readonly log: (line: string) => void;
  /** Stops the loop (tests, benchmarks); it runs until the process ends otherwise. */
  readonly stopped?: () => boolean;
  /** Called when a look or action has run for STUCK_EXIT_SECONDS: the process may end itself to be restarted. */
  readonly stuck?: (what: string) => void;
}

/** How long one batch of the monitor's statements may take: fencing waits 5 s for locks at most; a healthy server answers the rest at once. */
const MONITOR_STATEMENTS_TIMEOUT_MS = 10_000;

export class FailoverMonitor {
  private readonly description: ClusterDescription;
  private readonly probes: HostProbe[];
  private readonly probeTimeoutMs: number;
  private readonly galeraNodes: string[];
  private memory: MonitorMemory = EMPTY_MEMORY;
  private lastWaiting?: string;
  /** Looks come faster while a master is suspect. */
  private suspect = false;
  private wake?: () => void;
  /** What the current look is doing, and since when: a look stuck somewhere says where. */
  private doing = { what: 'idle', since: 0, reported: false };
  /** The parts of the current look not answered yet (hosts, the shared state). */
  private readonly pending = new Set<string>();

  constructor(private readonly rt: MonitorRuntime) {
    this.description = rt.config.description;
    // A probe outlasting the interval would slow every tick; a loaded server still answers in a second.
    this.probeTimeoutMs = Math.max(1000, rt.config.options.probeIntervalMs);
    this.galeraNodes = this.description.galera?.nodes ?? [];
    this.probes = this.description.hosts.map((h) => new HostProbe(h.name, { host: h.address, port: h.port }, () => this.login(), {
      timeoutMs: this.probeTimeoutMs, galera: h.kind === HostKind.GALERA_NODE, onServerEnded: () => this.wake?.(),
    }));
  }

  private login(): Login {
    return { user: OPERATOR_USER, password: this.rt.operatorPassword() };
  }

  /** Where a Galera node waits for a cluster (on the cluster's network). */
  private waitingEndpoint(node: string) {
    return { host: this.description.hosts.find((h) => h.name === node)!.replicationAddress, port: GALERA_WAITING_PORT };
  }

  /**
   * Every host probed at once, with the lock, the recorded writer and the detached masters; hosts
   * in `lost` are not asked (a frozen one would hold every look of a failover for a probe's timeout).
   */
  public async observe(lost: string[] = []): Promise<Observation> {
    const tracked = <T>(part: string, work: Promise<T>): Promise<T> => {
      this.pending.add(part);
      return work.finally(() => this.pending.delete(part));
    };
    const look = (p: HostProbe): Promise<HostView> => (lost.includes(p.name) ? Promise.resolve({ name: p.name, reach: Reach.SILENT, channels: [], error: 'lost' }) : tracked(p.name, p.look()));
    const [looked, shared] = await Promise.all([Promise.all(this.probes.map(look)), tracked('the shared state', this.rt.state.snapshot())]);
    // A Galera node that does not answer may wait for a cluster, showing its position on another port.
    const hosts = await Promise.all(looked.map(async (view) => (view.reach !== Reach.ANSWERS && this.galeraNodes.includes(view.name) && !lost.includes(view.name)
      ? { ...view, waitingAt: await waitingPosition(this.waitingEndpoint(view.name), this.login(), this.probeTimeoutMs) } : view)));
    return {
      at: Date.now(),
      hosts,
      lockedBy: otherLiveHolder(shared, MONITOR_OWNER),
      recordedWriter: shared.writer,
      detached: shared.detached,
    };
  }

  public async run(): Promise<void> {
    const { options } = this.rt.config;
    const galera = this.description.galera !== undefined;
    this.rt.log(`monitoring ${this.description.hosts.map((h) => h.name).join(', ')} (candidates ${this.description.candidates.join(', ') || 'none'}); detection ${options.detectionMs} ms, probes every ${options.probeIntervalMs} ms`);
    // A lock this monitor held when it last stopped is its own, left by a crash.
    if ((await this.rt.state.holder()) === MONITOR_OWNER) await this.rt.state.unlock();
    let known: string | undefined;
    const watchdog = setInterval(() => this.reportStuck(), 5_000);
    while (!this.rt.stopped?.()) {
      await this.tick(galera, known).then((writer) => { known = writer; }, (e) => this.rt.log(`this look failed, the next one tries again: ${(e as Error).message}`));
      this.step('idle');
      await this.sleep(this.suspect ? Math.max(50, options.probeIntervalMs / 10) : options.probeIntervalMs);
    }
    clearInterval(watchdog);
    for (const p of this.probes) p.close();
  }

  private step(what: string): void {
    this.doing = { what, since: Date.now(), reported: false };
  }

  /** Every bound inside a look is seconds; one taking much longer is a defect to see in the log. */
  private reportStuck(): void {
    const seconds = Math.round((Date.now() - this.doing.since) / 1000);
    if (this.doing.what === 'idle' || seconds < STUCK_SECONDS) return;
    const what = `${this.doing.what}${this.pending.size ? ` (no answer yet from ${[...this.pending].join(', ')})` : ''}`;
    if (seconds >= STUCK_EXIT_SECONDS) {
      this.rt.log(`still ${what} after ${seconds} s: ending, to be restarted`);
      this.rt.stuck?.(what);
      return;
    }
    if (this.doing.reported) return;
    this.doing.reported = true;
    this.rt.log(`still ${what} after ${seconds} s`);
  }

  /** One look and what follows from it; returns the writer it saw recorded. */
  private async tick(galera: boolean, known: string | undefined): Promise<string | undefined> {
    const { options } = this.rt.config;
    this.step('looking at every host');
    const obs = await this.observe();
    const decision: Decision = galera ? decideGalera(this.description, options, obs, this.memory) : decide(this.description, options, obs, this.memory);
    this.memory = decision.memory;
    if (decision.waiting !== this.lastWaiting) {
      // The end of a wait is logged too: a silent log then means a silent monitor, not a held lock.
      this.rt.log(decision.waiting ?? `no longer waiting: ${this.lastWaiting}`);
      this.lastWaiting = decision.waiting;
    }
    if (!galera && obs.recordedWriter !== known) this.rt.log(`the writer is ${obs.recordedWriter ?? 'not known'}`);
    for (const action of decision.actions) {
      this.step(`acting: ${action.kind} ${action.host}`);
      await this.act(action).catch((e) => this.rt.log(`${action.kind} ${action.host}: ${(e as Error).message}`));
    }
    this.suspect = decision.suspect ?? false;
    return obs.recordedWriter;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wake = done;
    });
  }

  private address(host: string) {
    const h = this.description.hosts.find((x) => x.name === host)!;
    return { host: h.address, port: h.port };
  }

  /** Bounded: a host frozen mid-statement must not hold the one actor (and every failover) forever. */
  private runSql(host: string, statements: string[], secrets?: Secrets): Promise<void> {
    return runOn(this.address(host), { user: OPERATOR_USER, password: this.rt.operatorPassword() }, statements, secrets, MONITOR_STATEMENTS_TIMEOUT_MS);
  }

  /** Runs `work` under the lock; skips it when another actor holds it. */
  private async locked(work: () => Promise<string | undefined>): Promise<void> {
    const lock = await this.rt.state.tryHold(MONITOR_OWNER);
    if (!lock) return;
    let writer: string | undefined;
    try {
      writer = await work();
    } finally {
      await lock.release(writer);
    }
  }

  private async act(action: Action): Promise<void> {
    const log = this.rt.log;
    switch (action.kind) {
      case ActionKind.LEARN_WRITER:
        await this.rt.state.recordWriter(action.host);
        return;
      case ActionKind.FENCE:
        return this.locked(async () => {
          await this.runSql(action.host, [...sql.setReadOnly(true, 5), sql.KILL_APPLICATION_SESSIONS]);
          log(`fenced ${action.host}: it is writable but is not the writer`);
          return undefined;
        });
      case ActionKind.RESTORE_WRITER:
        return this.locked(async () => {
          await this.runSql(action.host, sql.setReadOnly(false, 5));
          log(`${action.host} came back read-only; it is still the writer (no failover happened), so it takes writes again`);
          return undefined;
        });
      case ActionKind.REPOINT:
        return this.locked(async () => {
          await this.runSql(action.host, [
            sql.stopChannel(action.from!), sql.resetChannel(action.from!),
            sql.changeMaster(channelTo(this.description, action.to!, { delaySeconds: action.delaySeconds })), sql.startChannel(action.to!),
          ], { [SecretName.REPLICATION]: this.rt.replicationPassword() });
          log(`re-pointed ${action.host}: ${action.from} is lost, it now replicates from ${action.to}${action.delaySeconds ? `, ${action.delaySeconds} s behind` : ''}`);
          return undefined;
        });
      case ActionKind.DETACH:
        return this.locked(async () => {
          await this.runSql(action.host, [sql.stopChannel(action.from!), sql.resetChannel(action.from!)]);
          log(`${action.host} no longer replicates from ${action.from} (detached when it was lost)`);
          return undefined;
        });
      case ActionKind.RESUME:
        return this.locked(async () => {
          await this.runSql(action.host, sql.resumeChannel(action.from!));
          log(`${action.host} replicates from ${action.from} again: it answers and no failover took its place`);
          return undefined;
        });
      case ActionKind.RESTART:
        return this.locked(async () => {
          await this.runSql(action.host, sql.resumeChannel(action.from!));
          log(`${action.host} replicates from ${action.from} again: its receiver had stopped on a misread event (a semi-sync fault of the server), it fetches again from its position`);
          return undefined;
        });
      case ActionKind.FAIL_OVER:
        return this.locked(() => this.failOver(action));
      case ActionKind.BOOTSTRAP:
        return this.locked(async () => {
          await this.bootstrap(action.host, action.position!);
          return undefined;
        });
    }
  }

  /**
   * Restarts a Galera cluster from a waiting node: the node sees the operator account hold the
   * bootstrap lock on its waiting server, and starts the cluster from its position, shutting that
   * server down (which ends this connection).
   */
  private async bootstrap(node: string, position: string): Promise<void> {
    const c = await connect(this.waitingEndpoint(node), this.login(), this.probeTimeoutMs);
    const started = Date.now();
    try {
      const [row] = await queryRows<any>(c, 'SELECT @@wsrep_start_position AS position');
      if (String(row.position) !== position) throw new Error(`it now shows ${row.position}, not ${position}; the next look decides again`);
      const [lock] = await queryRows<any>(c, `SELECT GET_LOCK('${GALERA_BOOTSTRAP_LOCK}', 0) AS taken`);
      if (Number(lock.taken) !== 1) throw new Error('another session holds the bootstrap lock');
      this.rt.log(`every node was lost: restarting the cluster from ${node}, the most advanced node, at ${position}`);
      while (Date.now() - started < BOOTSTRAP_NOTICE_MS) {
        await new Promise((r) => setTimeout(r, 250));
        if (!(await queryRows(c, 'SELECT 1').then(() => true, () => false))) return;
      }
      throw new Error(`it did not take the bootstrap within ${BOOTSTRAP_NOTICE_MS / 1000} s; the next look decides again`);
    } finally {
      c.destroy();
    }
  }

  private async failOver(action: Action): Promise<string | undefined> {
    const lost = action.lost!;
    const route = this.rt.route;
    const started = Date.now();
    this.rt.log(`failover: ${lost[0]} (the writer) is lost${action.certain ? ': its server process is gone and its peers lost it too' : ` for ${this.rt.config.options.detectionMs} ms or more`}${lost.length > 1 ? `; also lost: ${lost.slice(1).join(', ')}` : ''}`);
    // New connections wait while no master takes writes; clients of the lost writer reconnect through the gate.
    await route?.hold().catch((e) => this.rt.log(`failover: the endpoint's gate did not close: ${e.message}`));
    await route?.closeSessions(lost[0]).catch(() => undefined);
    try {
      const ctx: FailoverContext = {
        description: this.description,
        observe: () => this.observe(lost),
        run: (host, statements, secrets) => this.runSql(host, statements, secrets),
        replicationPassword: this.rt.replicationPassword,
        catchUpTimeoutMs: this.rt.config.options.catchUpTimeoutSeconds * 1000,
        log: this.rt.log,
      };
      const result = await failOver(ctx, lost);
      if (!result.writer) {
        this.memory = { ...this.memory, halted: result.halted };
        return undefined;
      }
      for (const m of lost) await this.rt.state.markDetached(m);
      await route?.routeTo(result.writer, lost[0]).catch((e) => this.rt.log(`failover: the endpoint did not take ${result.writer} at once (${e.message}); its checks will`));
      this.rt.log(`failover done: ${result.writer} is the writer, ${Date.now() - started} ms after the decision`);
      return result.writer;
    } finally {
      await route?.release(this.rt.log);
    }
  }
}
