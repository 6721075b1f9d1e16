// The EC2 host's cloud-init and the Route 53 failover timing, pure: milliseconds.
import { BOOT_SCRIPT_PATH, cloudInitFiles, HEALTH_SCRIPT_PATH, renderBootScript, renderCloudInit, SERVICE_NAME } from '../../src/render/cloud-init';
import { detectionSeconds, failoverTimingLine, resolveRoute53HealthCheck, Route53HealthCheckType } from '../../src/backends/aws/failover-timing';
import { BOOTSTRAP_SQL_PATH, ENTRYPOINT_PATH, SERVER_CONFIG_PATH } from '../../src/render/entrypoint';

const options = {
  files: { serverConfig: '[mysqld]\nserver_id = 1\n', bootstrapSql: "SELECT '${not a template}' AS x;\n", entrypoint: '#!/bin/bash\necho "${HOME}"\n' },
  secretParameters: { root: '/mariadb-ha/shop/root', monitor: '/mariadb-ha/shop/monitor' },
  installCommand: 'apt-get install -y mariadb-server',
  cluster: 'shop',
  host: 'db-a',
  healthIntervalSeconds: 10,
};

describe('renderCloudInit', () => {
  const userData = renderCloudInit(options);

  test('writes the rendered files unchanged, base64-encoded, so nothing in them is Terraform or YAML syntax', () => {
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    expect(userData).not.toContain('${');
    const files = cloudInitFiles(userData);
    expect(files[SERVER_CONFIG_PATH]).toBe(options.files.serverConfig);
    expect(files[BOOTSTRAP_SQL_PATH]).toBe(options.files.bootstrapSql);
    expect(files[ENTRYPOINT_PATH]).toBe(options.files.entrypoint);
    expect(files[`/etc/systemd/system/${SERVICE_NAME}`]).toContain(`ExecStart=/bin/bash ${ENTRYPOINT_PATH}`);
    expect(JSON.parse(userData.replace('#cloud-config\n', '')).runcmd).toEqual([['/bin/bash', BOOT_SCRIPT_PATH]]);
  });

  test('the boot script formats only a disk with no filesystem, clears lost+found for the entrypoint, and fetches each secret from SSM', () => {
    const boot = renderBootScript(options);
    expect(boot).toMatch(/if ! blkid "\$device" >\/dev\/null 2>&1; then\n {2}say "formatting the new data volume \$device"\n {2}mkfs\.ext4/);
    expect(boot).toContain('[ -z "$fresh" ] || rmdir /var/lib/mysql/lost+found');
    expect(boot).toContain("fetch_secret root '/mariadb-ha/shop/root'\nfetch_secret monitor '/mariadb-ha/shop/monitor'");
    // The distribution's own server must never start on the root disk's data directory.
    expect(boot.indexOf('systemctl disable --now mariadb.service')).toBeLessThan(boot.indexOf('mount /var/lib/mysql'));
  });

  test('the health script publishes 1 or 0 per host at standard resolution (what Route 53 alarms accept)', () => {
    const health = cloudInitFiles(userData)[HEALTH_SCRIPT_PATH];
    expect(health).toContain('--namespace MariaDbHa --metric-name ServerAvailable');
    expect(health).toContain('--dimensions Cluster=shop,Host=db-a --value "$value" --storage-resolution 60');
  });
});

describe('Route 53 failover timing', () => {
  test('a CloudWatch-metric check: a sample interval, every evaluated period, and the allowance for Route 53 reading the alarm', () => {
    expect(detectionSeconds(resolveRoute53HealthCheck(), 10)).toBe(10 + 2 * 60 + 30);
    expect(detectionSeconds(resolveRoute53HealthCheck({ alarmPeriodSeconds: 60, alarmEvaluationPeriods: 1 }), 5)).toBe(5 + 60 + 30);
  });

  test('a TCP check: interval times threshold, plus the timeout of the last probe', () => {
    expect(detectionSeconds(resolveRoute53HealthCheck({ type: Route53HealthCheckType.TCP, requestIntervalSeconds: 30, failureThreshold: 2 }), 10)).toBe(70);
  });

  test('the reviewer line adds the TTL', () => {
    expect(failoverTimingLine('writer.db.internal', 160, 10)).toBe('writer.db.internal: worst case 170 s until clients resolve the secondary (detection 160 s + TTL 10 s)');
  });
});
