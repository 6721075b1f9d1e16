// A failover's steps, run by the monitor under its lock, each acting on a fresh observation and
// judged by the pure functions of decide.ts. One writer at a time throughout: new connections wait
// at the endpoint while no master takes writes, and the candidate takes none before it holds
// everything any survivor holds of the lost masters, which by then no host receives anything from.
import type { ClusterDescription } from '../../constructs/description';
import { SecretName } from '../../model/accounts';
import * as sql from '../../render/statements';
import { channelTo } from '../channels';
import { hasReached, transactionsBehind } from '../gtid';
import { Secrets } from '../sql-client';
import { brokenReceivers, ChannelRef, choosePromotion, connectionsFromLost, drainState, followersOf, Promotion, Refusal } from './decide';
import { hostIn, Observation } from './observation';

/** What a failover needs from the monitor around it. */
export interface FailoverContext {
  readonly description: ClusterDescription;
  /** Probes every host now. */
  observe(): Promise<Observation>;
  /** Runs statements on a host as the operator, over the network. */
  run(host: string, statements: string[], secrets?: Secrets): Promise<void>;
  /** The replication account's password, for connections the failover makes. */
  replicationPassword(): string;
  readonly catchUpTimeoutMs: number;
  log(line: string): void;
}

export interface FailoverResult {
  /** The new writer, when the failover got that far. */
  readonly writer?: string;
  /** Connections it stopped and left stopped (no promotion): resumed if the writer returns. */
  readonly halted: ChannelRef[];
  readonly refusal?: string;
}

class Refused extends Error {}

/** Failing over from `lost` (the writer first): returns the new writer, or why there is none. */
export async function failOver(ctx: FailoverContext, lost: string[]): Promise<FailoverResult> {
  const started = Date.now();
  const step = (what: string) => ctx.log(`failover: ${what} (+${Date.now() - started} ms)`);
  let halted: ChannelRef[] = [];
  try {
    // 1. Nothing more arrives from the lost masters: a frozen one may wake up any moment.
    const first = await ctx.observe();
    halted = connectionsFromLost(first, lost);
    await Promise.all(halted.map((c) => ctx.run(c.host, [sql.stopChannel(c.channel, sql.ReplicationThread.IO)])));
    step(`${halted.length} connections from ${lost.join(', ')} stopped receiving`);
    // 2. Every survivor applies what it received (never restarting a receiver: MariaDB would discard its relay log).
    await drain(ctx, lost);
    step('the survivors applied what they received');
    // 3. The appliers stop too: positions are final.
    await Promise.all(halted.map((c) => ctx.run(c.host, [sql.stopChannel(c.channel)])));
    // 4. The candidate, and what it must hold.
    const observed = await ctx.observe();
    const choice = choosePromotion(ctx.description, observed, lost);
    if ('refusal' in choice) throw new Refused((choice as Refusal).refusal);
    const promotion = choice as Promotion;
    step(`promoting ${promotion.candidate}, which must hold ${promotion.target || '(nothing)'}${promotion.passedOver.length ? `; passed over ${promotion.passedOver.join('; ')}` : ''}`);
    await catchUp(ctx, promotion, observed);
    step(`${promotion.candidate} holds everything any survivor holds`);
    // 5. The lost masters are forgotten everywhere; their replicas follow the candidate by GTID.
    await Promise.all(halted.map((c) => ctx.run(c.host, [sql.resetChannel(c.channel)])));
    halted = [];
    const followers = followersOf(ctx.description, observed, lost);
    await Promise.all(followers.map((f) => ctx.run(f.replica, [
      sql.changeMaster(channelTo(ctx.description, promotion.candidate, { delaySeconds: f.delaySeconds })),
      sql.startChannel(promotion.candidate),
    ], { [SecretName.REPLICATION]: ctx.replicationPassword() })));
    step(`${lost.join(', ')} detached from every host${followers.length ? `; ${followers.map((f) => f.replica).join(', ')} follow ${promotion.candidate}` : ''}`);
    // 6. The one writer.
    await ctx.run(promotion.candidate, sql.setReadOnly(false, 5));
    step(`${promotion.candidate} takes writes`);
    // 7. Every connection between survivors runs: a semi-sync replica can lose another connection when one stops.
    const broken = brokenReceivers(await ctx.observe(), lost);
    await Promise.all(broken.map((c) => ctx.run(c.host, sql.resumeChannel(c.channel))));
    if (broken.length > 0) step(`restarted ${broken.map((c) => `${c.host} <- ${c.channel}`).join(', ')}, stopped on a misread event`);
    return { writer: promotion.candidate, halted: [] };
  } catch (error) {
    const refusal = error instanceof Refused ? error.message : `failover stopped: ${(error as Error).message}; the monitor tries again`;
    ctx.log(refusal);
    return { halted, refusal };
  }
}

/** Waits until no survivor is still applying what it received from the lost masters. */
async function drain(ctx: FailoverContext, lost: string[]): Promise<void> {
  const deadline = Date.now() + ctx.catchUpTimeoutMs;
  let reported = '';
  for (;;) {
    const state = drainState(await ctx.observe(), lost);
    const broken = state.broken.map((b) => `${b.host} (${b.error})`).join(', ');
    if (broken && broken !== reported) { ctx.log(`failover: cannot apply what it received from ${lost.join(', ')}: ${broken}`); reported = broken; }
    // An applier stopped before it finished (an earlier attempt) finishes now; its receiver stays stopped.
    // Its relay log stays, so a skip its stop left over applies to the duplicate it reads again first.
    await Promise.all(state.stalled.map((c) => ctx.run(c.host, [sql.startChannel(c.channel, sql.ReplicationThread.SQL)])));
    if (state.applying.length === 0 && state.stalled.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${state.applying.map((c) => c.host).join(', ')} still applying what ${lost.join(', ')} sent after ${ctx.catchUpTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The candidate receives what it lacks: through its running connections from the survivors that
 * hold it (masters log what they apply), or through a connection made for the catch-up and dropped after.
 */
async function catchUp(ctx: FailoverContext, promotion: Promotion, observed: Observation): Promise<void> {
  const { candidate, target } = promotion;
  if (hasReached(hostIn(observed, candidate)?.binlogPos ?? '', target)) return;
  const own = ctx.description.hosts.find((h) => h.name === candidate)!.gtidDomainId;
  const secrets = { [SecretName.REPLICATION]: ctx.replicationPassword() };
  await Promise.all(promotion.restart.map((source) => ctx.run(candidate, sql.resumeChannel(source))));
  await Promise.all(promotion.catchUpFrom.map((source) => ctx.run(candidate, [
    sql.changeMaster(channelTo(ctx.description, source, { ignoreDomain: own })), sql.startChannel(source),
  ], secrets)));
  try {
    const deadline = Date.now() + ctx.catchUpTimeoutMs;
    for (;;) {
      const now = hostIn(await ctx.observe(), candidate)?.binlogPos ?? '';
      if (hasReached(now, target)) return;
      if (Date.now() > deadline) throw new Error(`${candidate} still lacks ${transactionsBehind(target, now)} transactions of ${target} after ${ctx.catchUpTimeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await Promise.all(promotion.catchUpFrom.map((source) => ctx.run(candidate, [sql.stopChannel(source), sql.resetChannel(source)])));
  }
}
