// MariaDB GTID positions: `domain-server-seqno` per domain, comma separated (pure).

export interface GtidEntry {
  readonly domain: number;
  readonly serverId: number;
  readonly seqNo: bigint;
}

/** Parses `1-1-100,2-2-50` into entries keyed by domain. */
export function parseGtidPosition(position: string | null | undefined): Map<number, GtidEntry> {
  const entries = new Map<number, GtidEntry>();
  for (const part of (position ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!match) throw new Error(`not a GTID: '${part}'`);
    entries.set(Number(match[1]), { domain: Number(match[1]), serverId: Number(match[2]), seqNo: BigInt(match[3]) });
  }
  return entries;
}

export function formatGtidPosition(entries: Map<number, GtidEntry>): string {
  return [...entries.values()]
    .sort((a, b) => a.domain - b.domain)
    .map((e) => `${e.domain}-${e.serverId}-${e.seqNo}`)
    .join(',');
}

/** True when `position` has reached `target` in every domain of `target`. */
export function hasReached(position: string, target: string): boolean {
  const have = parseGtidPosition(position);
  return [...parseGtidPosition(target).values()].every((t) => (have.get(t.domain)?.seqNo ?? -1n) >= t.seqNo);
}

/**
 * Transactions `position` still lacks of `source`: per GTID domain of the source, how far its
 * sequence number is ahead (one writer per domain numbers its transactions one by one). Unlike
 * thread state or Seconds_Behind_Master, this sees a replica that is behind while its threads run.
 */
export function transactionsBehind(source: string, position: string): bigint {
  const have = parseGtidPosition(position);
  let behind = 0n;
  for (const s of parseGtidPosition(source).values()) {
    const mine = have.get(s.domain)?.seqNo ?? 0n;
    if (s.seqNo > mine) behind += s.seqNo - mine;
  }
  return behind;
}

/**
 * Transactions in `position` that `other` lacks, as GTID ranges per domain (`1-1-101..103`), with
 * their count: what a returning master committed that the writer never received.
 */
export function transactionsAhead(position: string, other: string): { ranges: string[]; count: bigint } {
  const have = parseGtidPosition(other);
  const ranges: string[] = [];
  let count = 0n;
  for (const p of parseGtidPosition(position).values()) {
    const theirs = have.get(p.domain)?.seqNo ?? 0n;
    if (p.seqNo <= theirs) continue;
    const first = theirs + 1n;
    ranges.push(`${p.domain}-${p.serverId}-${first}${p.seqNo > first ? `..${p.seqNo}` : ''}`);
    count += p.seqNo - theirs;
  }
  return { ranges, count };
}

/** `position` without one domain's entry. */
export function withoutDomain(position: string | null | undefined, domain: number): string {
  const entries = parseGtidPosition(position);
  entries.delete(domain);
  return formatGtidPosition(entries);
}

/**
 * Where a master asks its sources to start: what it applied of every other domain, and its own
 * domain where its own binary log ends. Its replica position in its own domain is not kept up (it
 * never applies its own transactions back), and a source whose binary log starts later, as a
 * seeded copy's does, refuses a position older than its log (error 1236). Asking past what a
 * source has logged is accepted with gtid_ignore_duplicates, which every master runs with.
 */
export function masterStartPosition(slavePos: string | null | undefined, binlogPos: string | null | undefined, ownDomain: number): string {
  const start = parseGtidPosition(slavePos);
  const logged = parseGtidPosition(binlogPos).get(ownDomain);
  if (logged) start.set(ownDomain, logged);
  return formatGtidPosition(start);
}

/**
 * Where a rebuilt master asks its sources to start: what it applied of every other domain, and in
 * its own domain the oldest of what its sources logged of it (its own binary log starts at its
 * backup, and a source serves a domain only from where its oldest log lists it); its replica
 * position as it is when no source logged its domain.
 */
export function resumeAfterRebuild(slavePos: string | null | undefined, sourceBinlogPositions: Array<string | null | undefined>, ownDomain: number): string | undefined {
  const logged = sourceBinlogPositions.map((p) => parseGtidPosition(p).get(ownDomain)).filter((e): e is GtidEntry => e !== undefined)
    .sort((a, b) => (a.seqNo < b.seqNo ? -1 : 1));
  if (logged.length === 0) return undefined;
  const start = parseGtidPosition(slavePos);
  start.set(ownDomain, logged[0]);
  return formatGtidPosition(start);
}
