// Promotion candidates: which hosts may become the active master, in priority order, and why each
// other host may not. No eligible standby is an error, never a silent single point of failure.
import { ResolvedTopology } from './defaults';
import { Problem } from './problems';
import { hostNamesRepeat } from './validation';
import { compareVersions, declaredVersions, isVersion, seriesOf } from './versions';

/** Why a host may or may not become the active master. */
export interface CandidateVerdict {
  readonly host: string;
  readonly eligible: boolean;
  /** Reasons it is excluded; empty when eligible. */
  readonly reasons: string[];
}

export interface CandidateEvaluation {
  /** Eligible hosts in priority order (the active master where the policy puts it). */
  readonly candidates: string[];
  readonly verdicts: CandidateVerdict[];
  readonly problems: Problem[];
}

export function evaluateCandidates(t: ResolvedTopology): CandidateEvaluation {
  const problems: Problem[] = [];
  const policy = t.promotion;
  const masterNames = new Set(t.masters.map((m) => m.name));
  const replicaByName = new Map(t.replicas.map((r) => [r.name, r]));
  const active = t.masters.find((m) => m.name === t.activeMaster);

  for (const [list, names] of [['candidates', policy.whitelisted ? policy.candidates : []], ['excluded', policy.excluded], ['allowRisky', policy.allowRisky]] as const) {
    names.forEach((name, i) => {
      const replica = replicaByName.get(name);
      if (replica && list !== 'excluded') {
        problems.push({
          property: `promotion.${list}[${i}]`,
          message: `'${name}' is a replica (replicas[${replica.index}], ${replica.role}); a replica follows one source and owns no auto-increment slot, so it cannot be promoted: declare it among the masters to make it a candidate`,
        });
      } else if (!masterNames.has(name) && !replica) {
        problems.push({ property: `promotion.${list}[${i}]`, message: `'${name}' is not a host of this cluster` });
      }
    });
  }
  for (const h of declaredVersions(t)) {
    if (h.mariadbVersion !== undefined && !isVersion(h.mariadbVersion)) {
      problems.push({ property: `${h.path}.mariadbVersion`, message: `'${h.mariadbVersion}' is not a version like 10.11.9` });
    }
  }

  const versionOk = (v?: string) => v === undefined || isVersion(v);
  const verdicts: CandidateVerdict[] = [
    ...t.masters.map((m) => {
      const reasons: string[] = [];
      const risky = policy.allowRisky.includes(m.name);
      if (policy.excluded.includes(m.name)) reasons.push('excluded by promotion.excluded');
      if (!policy.candidates.includes(m.name)) reasons.push('not in promotion.candidates');
      if (m.site !== t.primarySite && !risky) reasons.push(`in DR site '${m.site}' (primary site is '${t.primarySite}')`);
      if (m !== active && !risky && versionOk(m.mariadbVersion) && versionOk(active?.mariadbVersion)
        && m.mariadbVersion && active?.mariadbVersion && compareVersions(seriesOf(m.mariadbVersion), seriesOf(active.mariadbVersion)) > 0) {
        reasons.push(`runs ${m.mariadbVersion}, newer than the active master's ${active.mariadbVersion}`);
      }
      return { host: m.name, eligible: reasons.length === 0, reasons };
    }),
    ...t.replicas.map((r) => ({
      host: r.name,
      eligible: false,
      reasons: [`${r.role} replica`, ...(r.delaySeconds > 0 ? [`delayed by ${r.delaySeconds} s`] : []), ...(r.site !== t.primarySite ? [`in DR site '${r.site}'`] : [])],
    })),
  ];

  const eligible = new Set(verdicts.filter((v) => v.eligible).map((v) => v.host));
  const activeVerdict = verdicts.find((v) => v.host === t.activeMaster);
  if (active && activeVerdict && !activeVerdict.eligible) {
    problems.push({ property: 'activeMaster', message: `'${t.activeMaster}' cannot be the active master: ${activeVerdict.reasons.join('; ')}` });
  }
  // A whitelisted master that is risky is refused loudly, never dropped from the list in silence.
  if (policy.whitelisted) {
    policy.candidates.forEach((name, i) => {
      const verdict = verdicts.find((v) => v.host === name && masterNames.has(name));
      const risks = verdict?.reasons.filter((r) => r.startsWith('in DR site') || r.startsWith('runs ')) ?? [];
      if (risks.length > 0) {
        problems.push({ property: `promotion.candidates[${i}]`, message: `'${name}' is listed as a candidate but ${risks.join('; ')}; add it to promotion.allowRisky to allow it, or remove it` });
      }
    });
  }
  const ordered = policy.candidates.filter((name) => eligible.has(name));
  // With repeated host names the verdicts cannot be told apart; that problem is reported on its own.
  if (active && ordered.filter((name) => name !== t.activeMaster).length === 0 && t.masters.length >= 2 && !hostNamesRepeat(t)) {
    const excluded = verdicts.filter((v) => v.host !== t.activeMaster && !v.eligible).map((v) => `${v.host} (${v.reasons.join('; ')})`);
    problems.push({
      property: 'promotion',
      message: `no promotion candidate besides the active master '${t.activeMaster}', so nothing could take over its writes; excluded: ${excluded.join(', ') || 'no other host declared'}; list a DR or newer master in promotion.allowRisky to let it take over`,
    });
  }
  return { candidates: ordered, verdicts, problems };
}
