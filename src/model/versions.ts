// MariaDB versions across a topology: how they compare, which skews replication tolerates, and the
// order a rolling upgrade takes. Pure: no cdktf.
import type { ResolvedTopology } from './defaults';
import { Problem } from './problems';

const VERSION = /^\d+(\.\d+){0,2}$/;

/** True for a dotted version such as `10.11` or `11.8.3`. */
export function isVersion(v: string): boolean {
  return VERSION.test(v);
}

/** Compares dotted versions numerically; missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The release series (`major.minor`) a version belongs to: replication compatibility changes between series, not patches. */
export function seriesOf(v: string): string {
  const [major, minor] = v.split('.');
  return `${major}.${minor ?? '0'}`;
}

/** Every host's declared version with the property path it was declared at. */
export function declaredVersions(t: ResolvedTopology): Array<{ name: string; path: string; mariadbVersion?: string }> {
  return [
    ...t.masters.map((m) => ({ name: m.name, path: `masters[${m.index}]`, mariadbVersion: m.mariadbVersion })),
    ...t.replicas.map((r) => ({ name: r.name, path: `replicas[${r.index}]`, mariadbVersion: r.mariadbVersion })),
  ];
}

/**
 * Versions the topology cannot run with: some hosts declaring a version and others not (a skew
 * nobody reviewed), and a replica of an older series than its source (an older server may not read
 * a newer one's binary log). Malformed versions are reported by the candidate rules.
 */
export function versionProblems(t: ResolvedTopology): Problem[] {
  const hosts = declaredVersions(t);
  const declared = hosts.filter((h) => h.mariadbVersion !== undefined);
  const problems: Problem[] = [];
  if (declared.length > 0 && declared.length < hosts.length) {
    const missing = hosts.filter((h) => h.mariadbVersion === undefined);
    problems.push(...missing.map((h) => ({
      property: `${h.path}.mariadbVersion`,
      message: `'${h.name}' declares no version while ${declared.map((d) => `${d.name} declares ${d.mariadbVersion}`).join(', ')}; declare it on every host or on none`,
    })));
  }
  const byName = new Map(hosts.map((h) => [h.name, h]));
  for (const r of t.replicas) {
    const source = byName.get(r.source);
    if (!r.mariadbVersion || !source?.mariadbVersion || !isVersion(r.mariadbVersion) || !isVersion(source.mariadbVersion)) continue;
    if (compareVersions(seriesOf(r.mariadbVersion), seriesOf(source.mariadbVersion)) < 0) {
      problems.push({
        property: `replicas[${r.index}].mariadbVersion`,
        message: `'${r.name}' would run ${r.mariadbVersion}, an older series than its source ${source.name}'s ${source.mariadbVersion}: an older server may not read a newer one's binary log; upgrade replicas first`,
      });
    }
  }
  return problems;
}

/** A host's declared version, as the upgrade order needs it. */
export interface HostVersion {
  readonly name: string;
  readonly master: boolean;
  readonly mariadbVersion?: string;
}

/**
 * What is left of a rolling upgrade to the newest version declared: replicas first (they read the
 * binary log of an older master), then the masters that do not take writes, then a switchover to an
 * upgraded master (newer, so allowed explicitly), then the old writer. Empty when no host is behind.
 */
export function upgradeSteps(hosts: HostVersion[], activeMaster: string): string[] {
  const versioned = hosts.filter((h) => h.mariadbVersion !== undefined && isVersion(h.mariadbVersion));
  if (versioned.length === 0) return [];
  const target = versioned.map((h) => h.mariadbVersion!).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
  const behind = versioned.filter((h) => compareVersions(seriesOf(h.mariadbVersion!), seriesOf(target)) < 0);
  if (behind.length === 0) return [];
  const upgrade = (h: HostVersion, why: string) => `upgrade ${h.name} to ${target} (${why})`;
  const steps = [
    ...behind.filter((h) => !h.master).map((h) => upgrade(h, 'a replica, alone in its apply')),
    ...behind.filter((h) => h.master && h.name !== activeMaster).map((h) => upgrade(h, 'a master that takes no writes, alone in its apply')),
  ];
  const writer = behind.find((h) => h.name === activeMaster);
  if (writer) {
    const upgraded = versioned.find((h) => h.master && h.name !== activeMaster && !behind.includes(h));
    const to = upgraded?.name ?? 'an upgraded master';
    steps.push(`switch the writes to ${to}: set activeMaster to ${to} (listed in promotion.allowRisky: it runs a newer version)`,
      upgrade(writer, 'the old writer, once it takes no writes'));
  }
  return steps;
}
