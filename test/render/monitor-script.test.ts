// The failover monitor's script: what it watches, how long a loss must last, and that bash accepts it.
import { spawnSync } from 'child_process';
import { planTopologyOrThrow } from '../../src/model';
import { renderMonitorScript } from '../../src/render/monitor-script';
import { ACTIVE_PASSIVE } from '../support/topologies';

const plan = planTopologyOrThrow(ACTIVE_PASSIVE, 'test');
const addresses = { 'db-a': '10.213.0.10', 'db-b': '10.213.0.11', analytics: '10.213.0.12' };

describe('renderMonitorScript', () => {
  const script = renderMonitorScript(plan, addresses, { detectionMs: 4000, probeIntervalMs: 250 });

  test('bash parses it', () => {
    const check = spawnSync('bash', ['-n'], { input: script });
    expect({ status: check.status, stderr: check.stderr.toString() }).toEqual({ status: 0, stderr: '' });
  });

  test('it watches the masters, promotes candidates in priority order, and moves the replicas', () => {
    expect(script).toContain("MASTERS=('db-a' 'db-b')\nCANDIDATES=('db-a' 'db-b')\nREPLICAS=('analytics')\n");
    expect(script).toContain("declare -A ADDRESS=(['db-a']='10.213.0.10' ['db-b']='10.213.0.11' ['analytics']='10.213.0.12')");
  });

  test('a loss must last the detection budget, and twice that without the candidate\'s confirmation', () => {
    expect(script).toContain('DETECT_MS=4000\n');
    expect(script).toContain('CONFIRM_MS=8000\n');
    expect(script).toContain('TICK=0.250\n');
  });

  test('it holds no secret: passwords are read from files, the replication one reaches SQL as base64', () => {
    expect(script).toContain('MYSQL_PWD=$(cat "$SECRETS/operator")');
    expect(script).toContain("SET @secret_replication = FROM_BASE64('$(base64 -w0 < \"$SECRETS/replication\")')");
    expect(script).toContain('QUOTE(@secret_replication)');
  });

  test('a non-candidate master is watched and fenced but never promoted', () => {
    const restricted = planTopologyOrThrow({ ...ACTIVE_PASSIVE, masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }], promotion: { excluded: ['db-c'] } }, 'test');
    const s = renderMonitorScript(restricted, { ...addresses, 'db-c': '10.213.0.13' });
    expect(s).toContain("MASTERS=('db-a' 'db-b' 'db-c')\nCANDIDATES=('db-a' 'db-b')\n");
  });
});
