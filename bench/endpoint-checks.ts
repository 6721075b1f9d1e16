// New connections through the writer endpoint while its health checks run: the endpoint as rendered
// (HAProxy asks a check agent per server) against the same config with the check forked by HAProxy
// itself (`external-check`, as before), side by side in the same run. One MariaDB behind both; the
// check is a script that passes at once and runs every 100 ms, so the cost under test is HAProxy's
// fork, not the check's work. Each client connects, runs 3 statements and closes, for ROUND_MS.
// The rendered endpoint is also reached through its published port (Docker's userland proxy on an
// engine without iptables), which the live tests avoid.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { createConnection } from 'mysql2/promise';
import { planTopologyOrThrow } from '../src/model';
import {
  CHECK_AGENTS_PATH, HAPROXY_CONFIG_PATH, HAPROXY_DIR, HAPROXY_RUNTIME_SOCKET, renderCheckAgents, renderHaproxyConfig, renderWriterGate, WRITER_CHECK_PATH,
} from '../src/render/haproxy-config';
import { PROJECT_HAPROXY_IMAGE } from '../src/backends/docker/endpoint-containers';
import { PROJECT_MARIADB_IMAGE } from '../src/backends/docker/image';
import { run, runChecked } from '../src/process';
import { removeDockerObjects, waitFor } from '../test/support/live-stack';
import { LIVE_SLOTS, slotAddress, slotSubnet } from '../test/support/live-slots';
import { fmt, median } from './stats';

const SLOT = LIVE_SLOTS.benchEndpointChecks;
const ROUNDS = Number(process.env.CHECK_ROUNDS ?? 3);
const ROUND_MS = Number(process.env.CHECK_ROUND_MS ?? 40_000);
const CLIENTS = 4;
const IDLE_MS = 15_000;
const SERVER = slotAddress(SLOT, 10);
const ENDPOINTS = {
  agents: { host: slotAddress(SLOT, 5), port: 3306 },
  forked: { host: slotAddress(SLOT, 6), port: 3306 },
  published: { host: '127.0.0.1', port: SLOT.port },
};
type Variant = keyof typeof ENDPOINTS;
type Container = Exclude<Variant, 'published'>;
const PLAN = planTopologyOrThrow({ masters: [{ name: 'db-a' }, { name: 'db-b' }] }, 'bench');
const ADDRESSES = { 'db-a': SERVER, 'db-b': SERVER };

/** The rendered endpoint config, and the same with HAProxy forking the check itself. */
function configs(): Record<Container, string> {
  const agents = renderHaproxyConfig(PLAN, { activeMaster: 'db-a', addresses: ADDRESSES, checkUser: 'monitor', healthCheck: { intervalMs: 100, timeoutMs: 80 } });
  const forked = agents
    .replace('\ndefaults', '\n  external-check\n  insecure-fork-wanted\n\ndefaults')
    .replace(/ {2}option tcp-check\n {2}tcp-check connect\n {2}tcp-check expect string \S+\n/, `  option external-check\n  external-check path "/usr/bin:/bin"\n  external-check command ${WRITER_CHECK_PATH}\n`)
    .replace(/ addr 127\.0\.0\.1 port \d+/g, '');
  if (forked.includes('tcp-check') || !forked.includes('external-check command')) throw new Error('the rendered check section changed; update this benchmark');
  return { agents, forked };
}

const docker = (args: string[]) => runChecked('docker', args, { timeoutMs: 120_000 });

async function start(dir: string): Promise<void> {
  const prefix = SLOT.prefix;
  await docker(['network', 'create', '--subnet', slotSubnet(SLOT), `${prefix}-net`]);
  // Any login works (no grant tables): the benchmark measures connections, not accounts.
  await docker(['run', '-d', '--name', `${prefix}-db`, '--network', `${prefix}-net`, '--ip', SERVER, '--entrypoint', 'bash', PROJECT_MARIADB_IMAGE, '-c',
    'mkdir -p /tmp/d /run/mysqld && chown mysql /tmp/d /run/mysqld && mariadb-install-db --user=mysql --datadir=/tmp/d >/dev/null 2>&1 && exec mariadbd --user=mysql --datadir=/tmp/d --bind-address=0.0.0.0 --skip-grant-tables --skip-name-resolve --max-connections=500']);
  for (const variant of ['agents', 'forked'] as Container[]) {
    const agents = variant === 'agents' ? `{ ${CHECK_AGENTS_PATH} & } && ` : '';
    const published = variant === 'agents' ? ['-p', `127.0.0.1:${ENDPOINTS.published.port}:3306`] : [];
    await docker(['run', '-d', '--init', '--name', `${prefix}-${variant}`, '--network', `${prefix}-net`, '--ip', ENDPOINTS[variant].host, ...published, '-v', `${join(dir, variant)}:${HAPROXY_DIR}:ro`,
      '--entrypoint', 'sh', PROJECT_HAPROXY_IMAGE, '-c', `mkdir -p ${dirname(HAPROXY_RUNTIME_SOCKET)} && chown haproxy ${dirname(HAPROXY_RUNTIME_SOCKET)} && ${agents}exec haproxy -W -db -f ${HAPROXY_CONFIG_PATH}`]);
  }
  for (const endpoint of [{ host: SERVER, port: 3306 }, ...Object.values(ENDPOINTS)]) {
    await waitFor(`${endpoint.host}:${endpoint.port} answering`, 60_000, () => once(endpoint).then(() => true, () => undefined), 500);
  }
}

async function once(endpoint: { host: string; port: number }): Promise<void> {
  const c = await createConnection({ ...endpoint, user: 'root', connectTimeout: 10_000 });
  try {
    for (let i = 0; i < 3; i++) await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** CPU seconds an endpoint container (HAProxy, its checks and agents) has used: cgroup v1 or v2. */
async function cpuSeconds(variant: Container): Promise<number> {
  const read = await run('docker', ['exec', `${SLOT.prefix}-${variant}`, 'sh', '-c', `
    if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then echo ns $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage)
    else echo us $(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat); fi`], { timeoutMs: 20_000 });
  const [unit, value] = read.stdout.trim().split(' ');
  return Number(value) / (unit === 'ns' ? 1e9 : 1e6);
}

/** Each endpoint container's CPU, as a share of one core, while no client connects: what its checks cost. */
async function idleCpu(): Promise<Record<Container, number>> {
  const before = { agents: await cpuSeconds('agents'), forked: await cpuSeconds('forked') };
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return { agents: ((await cpuSeconds('agents')) - before.agents) / (IDLE_MS / 1000), forked: ((await cpuSeconds('forked')) - before.forked) / (IDLE_MS / 1000) };
}

/** Connections opened and lost through each endpoint, all loaded at once. */
async function round(): Promise<Record<Variant, { connections: number; lost: number }>> {
  const until = Date.now() + ROUND_MS;
  const counts = { agents: { connections: 0, lost: 0 }, forked: { connections: 0, lost: 0 }, published: { connections: 0, lost: 0 } };
  const client = async (variant: Variant) => {
    while (Date.now() < until) {
      counts[variant].connections++;
      await once(ENDPOINTS[variant]).catch(() => { counts[variant].lost++; });
    }
  };
  await Promise.all((Object.keys(ENDPOINTS) as Variant[]).flatMap((v) => Array.from({ length: CLIENTS }, () => client(v))));
  return counts;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-checks-'));
  try {
    for (const [variant, config] of Object.entries(configs())) {
      const files = join(dir, variant);
      mkdirSync(files);
      writeFileSync(join(files, 'haproxy.cfg'), config);
      writeFileSync(join(files, 'writer-gate.lua'), renderWriterGate());
      writeFileSync(join(files, 'writer-check.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      writeFileSync(join(files, 'check-agents.sh'), renderCheckAgents(PLAN, ADDRESSES), { mode: 0o755 });
    }
    await start(dir);
    const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round());
    console.log(`endpoint checks benchmark: ${ROUNDS} rounds of ${ROUND_MS / 1000} s, ${CLIENTS} clients per endpoint (connect, 3 statements, close), checks every 100 ms`);
    const variants = Object.keys(ENDPOINTS) as Variant[];
    rounds.forEach((r, i) => console.log(`  round ${i + 1}: ${variants.map((v) => `${v} lost ${r[v].lost} of ${r[v].connections}`).join(', ')}`));
    const per10k = (v: Variant) => median(rounds.map((r) => (10_000 * r[v].lost) / r[v].connections));
    console.log(`median lost per 10,000 new connections: check agents ${fmt(per10k('agents'))} (through the published port ${fmt(per10k('published'))}), check forked by HAProxy ${fmt(per10k('forked'))}`);
    const idle: Array<Record<Container, number>> = [];
    for (let i = 0; i < ROUNDS; i++) idle.push(await idleCpu());
    const share = (v: Container) => fmt(100 * median(idle.map((c) => c[v])));
    console.log(`median CPU of an endpoint container with no client, ${IDLE_MS / 1000} s each (its checks' cost), share of one core: check agents ${share('agents')}%, check forked by HAProxy ${share('forked')}%`);
  } finally {
    await removeDockerObjects(SLOT.prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
