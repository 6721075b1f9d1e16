import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { planTopologyOrThrow } from '../../src/model';
import { endpointServers, GATE_MAX_HOLD_MS, renderCheckAgents, renderHaproxyConfig, renderWriterCheck, renderWriterGate } from '../../src/render/haproxy-config';

const plan = planTopologyOrThrow({ masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }], promotion: { candidates: ['db-a', 'db-c', 'db-b'] } }, 'test');
const addresses = { 'db-a': '10.0.0.10', 'db-b': '10.0.0.11', 'db-c': '10.0.0.12' };
const serverLines = (cfg: string) => cfg.split('\n').filter((l) => l.trim().startsWith('server '));

describe('renderHaproxyConfig', () => {
  test('the active master first, the other candidates as backups in priority order, ids fixed per host', () => {
    expect(serverLines(renderHaproxyConfig(plan, { activeMaster: 'db-b', addresses, checkUser: 'monitor' }))).toEqual([
      '  server db-b 10.0.0.11:3306 id 2 check addr 127.0.0.1 port 9102',
      '  server db-a 10.0.0.10:3306 id 1 check addr 127.0.0.1 port 9101 backup',
      '  server db-c 10.0.0.12:3306 id 3 check addr 127.0.0.1 port 9103 backup',
    ]);
    expect(endpointServers(plan, 'db-c')).toEqual(['db-c', 'db-a', 'db-b']);
  });

  test('one writer at a time, a lost writer\'s sessions closed, checks that ask each server\'s check agent', () => {
    const cfg = renderHaproxyConfig(plan, { activeMaster: 'db-a', addresses, checkUser: 'monitor', healthCheck: { intervalMs: 300, fall: 3, rise: 2 } });
    expect(cfg).toContain('stick-table type integer size 1 nopurge');
    expect(cfg).toContain('stick on int(1)');
    expect(cfg).toMatch(/default-server inter 300ms .* fall 3 rise 2 on-marked-down shutdown-sessions observe layer4 error-limit 2 on-error mark-down/);
    expect(cfg).toContain('  option tcp-check\n  tcp-check connect\n  tcp-check expect string healthy\n');
    // HAProxy never forks a check: its forks hand a closed connection's events to the next one.
    expect(cfg).not.toMatch(/external-check|insecure-fork-wanted/);
    expect(cfg).toContain('stats socket /run/haproxy/admin.sock mode 600 user haproxy group haproxy level admin');
  });
});

describe('renderCheckAgents', () => {
  const agents = renderCheckAgents(plan, addresses);

  test('is valid POSIX shell, with one agent per candidate on its server id\'s loopback port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agents-'));
    writeFileSync(join(dir, 'agents.sh'), agents);
    expect(() => execFileSync('sh', ['-n', join(dir, 'agents.sh')])).not.toThrow();
    expect(agents.split('\n').filter((l) => l.startsWith('agent '))).toEqual(['agent db-a 1 10.0.0.10 &', 'agent db-c 3 10.0.0.12 &', 'agent db-b 2 10.0.0.11 &']);
    expect(agents).toContain('TCP-LISTEN:$((9100 + $2)),bind=127.0.0.1,reuseaddr,fork');
  });

  test('runs the check as HAProxy\'s user, as HAProxy would, and answers what the config expects', () => {
    expect(agents).toContain('SYSTEM:"HAPROXY_SERVER_NAME=$1 HAPROXY_SERVER_ID=$2 /etc/haproxy/mariadb-ha/writer-check.sh - - $3 3306 </dev/null >/dev/null 2>&1 && echo healthy || echo failed \\$?",su=haproxy');
  });
});

describe('renderWriterCheck', () => {
  const script = renderWriterCheck('monitor', { fall: 3, timeoutMs: 150 });

  test('is valid POSIX shell', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(dir, 'check.sh'), script);
    expect(() => execFileSync('sh', ['-n', join(dir, 'check.sh')])).not.toThrow();
  });

  test('a writer is healthy only when writable, and fenced when taken out or after `fall` failed checks while pinned', () => {
    expect(script).toContain("--execute='SELECT @@global.read_only'");
    expect(script).toContain('[ "$read_only" = "0" ] || exit 1');
    expect(script).toContain('timeout 0.150 mariadb');
    expect(script).toMatch(/grep -q "server_id=\$HAPROXY_SERVER_ID "; then\n {2}if \[ ! -f "\$STATE\/\$name\.fenced" \] && \{ \[ "\$failures" -ge 3 \] \|\| runtime "show stat"/);
    // Only failed checks as the pinned writer count towards the fence: a read-only standby fails them all.
    expect(script).toMatch(/echo \$\(\(failures \+ 1\)\) > "\$STATE\/\$name\.failures"\nelse\n.*\n {2}rm -f "\$STATE\/\$name\.failures"\nfi/);
    expect(script).toContain('$2 == me && $18 ~ /^DOWN/ { down = 1 }');
    expect(script).toContain('runtime "clear table writer"');
  });

  test('during a password rotation it tries the next password, the current, then the next again, moving on only after a refused login', () => {
    expect(script).toContain('for secret in /etc/haproxy/mariadb-ha/secrets/monitor.next /etc/haproxy/mariadb-ha/secrets/monitor /etc/haproxy/mariadb-ha/secrets/monitor.next; do');
    expect(script).toMatch(/&& break\n {2}grep -q 'ERROR 1045' "\$STATE\/\$name\.error" \|\| break\ndone/);
  });

  test('a fenced writer stays out while another is up', () => {
    expect(script).toMatch(/\$18 ~ \/\^UP\/ \{ up = 1 \} END \{ exit !up \}' && exit 1/);
  });
});

describe('renderWriterGate', () => {
  const gate = renderWriterGate();
  const cfg = renderHaproxyConfig(plan, { activeMaster: 'db-a', addresses, checkUser: 'monitor' });

  test('every new client connection passes the gate before a server is chosen, waiting no longer than the bound', () => {
    expect(cfg).toContain('lua-load /etc/haproxy/mariadb-ha/writer-gate.lua');
    expect(cfg).toMatch(/frontend writer\n {2}bind :3306\n(.*\n)* {2}tcp-request inspect-delay (\d+)ms\n {2}tcp-request content lua\.writer_gate\n/);
    const inspectDelay = Number(/tcp-request inspect-delay (\d+)ms/.exec(cfg)![1]);
    expect(inspectDelay).toBeGreaterThan(GATE_MAX_HOLD_MS);
  });

  test('the tools can close, open and read it, and a gate left closed reopens by itself', () => {
    expect(gate).toContain('core.register_cli({"writer-gate", "close"}');
    expect(gate).toContain('core.register_cli({"writer-gate", "open"}');
    expect(gate).toContain(`now_ms() - closed_at < ${GATE_MAX_HOLD_MS}`);
    expect(gate).toContain(`while closed() and waited < ${GATE_MAX_HOLD_MS / 5} do core.msleep(5)`);
  });
});
