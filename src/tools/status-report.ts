// Renders cluster status as a table a person reads, and decides whether it is healthy (pure).
import type { ClusterDescription } from '../constructs/replication-cluster';
import { channelHealthy, HostStatus } from './replication-status';

export interface StatusVerdict {
  readonly healthy: boolean;
  readonly problems: string[];
}

export function judgeStatus(description: ClusterDescription, status: HostStatus[]): StatusVerdict {
  const problems: string[] = [];
  for (const host of description.hosts) {
    const s = status.find((x) => x.name === host.name);
    if (!s || !s.reachable) {
      problems.push(`${host.name}: unreachable (${s?.error ?? 'no status'})`);
      continue;
    }
    for (const source of host.sources) {
      const channel = s.channels.find((c) => c.connectionName === source);
      if (!channel) problems.push(`${host.name}: no replication connection from ${source}`);
      else if (!channelHealthy(channel)) {
        const error = channel.lastSqlError || channel.lastIoError || 'thread not running';
        problems.push(`${host.name} <- ${source}: IO ${channel.ioRunning}, SQL ${channel.sqlRunning}: ${error}`);
      }
    }
  }
  return { healthy: problems.length === 0, problems };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function renderStatus(description: ClusterDescription, status: HostStatus[]): string {
  const rows = [['HOST', 'ROLE', 'SERVER_ID', 'READ_ONLY', 'SOURCE', 'IO', 'SQL', 'LAG', 'LAST_ERROR', 'GTID_CURRENT_POS']];
  for (const host of description.hosts) {
    const s = status.find((x) => x.name === host.name);
    const role = host.name === description.activeMaster ? `${host.role} (active)` : host.role;
    if (!s?.reachable) {
      rows.push([host.name, role, String(host.serverId), '?', '-', '-', '-', '-', `unreachable: ${s?.error ?? ''}`.slice(0, 60), '-']);
      continue;
    }
    const channels = s.channels.length > 0 ? s.channels : [undefined];
    channels.forEach((c, i) => rows.push([
      i === 0 ? host.name : '',
      i === 0 ? role : '',
      i === 0 ? String(s.serverId) : '',
      i === 0 ? (s.readOnly ? 'ON' : 'OFF') : '',
      c?.connectionName ?? '-',
      c?.ioRunning ?? '-',
      c?.sqlRunning ?? '-',
      c ? String(c.secondsBehind ?? 'NULL') : '-',
      c ? (c.lastSqlError || c.lastIoError || '-').slice(0, 60) : '-',
      i === 0 ? (s.gtidCurrentPos || '(empty)') : '',
    ]));
  }
  const verdict = judgeStatus(description, status);
  const summary = verdict.healthy
    ? `healthy: every replication connection is running without errors`
    : `UNHEALTHY:\n${verdict.problems.map((p) => `  - ${p}`).join('\n')}`;
  return `cluster ${description.hosts.length} hosts, active master ${description.activeMaster}, database ${description.databaseName}\n${table(rows)}\n${summary}`;
}
