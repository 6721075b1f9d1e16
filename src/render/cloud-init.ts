// The cloud-init of an EC2 host: the same rendered server config, bootstrap SQL and entrypoint as a
// Docker host's, plus what a VM needs around them: MariaDB installed, the data volume formatted
// and mounted, secrets fetched from SSM at boot (never in user data), and systemd units. Pure.
import { gunzipSync, gzipSync } from 'zlib';
import { BOOTSTRAP_SQL_PATH, DATA_DIR, ENTRYPOINT_PATH, HA_DIR, SECRETS_DIR, SERVER_CONFIG_PATH } from './entrypoint';
import { SERVER_SOCKET } from './server-config';

export const BOOT_SCRIPT_PATH = `${HA_DIR}/aws-boot.sh`;
export const HEALTH_SCRIPT_PATH = `${HA_DIR}/health-metric.sh`;
export const SERVICE_NAME = 'mariadb-ha.service';
export const HEALTH_TIMER_NAME = 'mariadb-ha-health.timer';
/** CloudWatch namespace and metric of the hosts' health: 1 while the server answers on its socket. */
export const HEALTH_NAMESPACE = 'MariaDbHa';
export const HEALTH_METRIC = 'ServerAvailable';
/** EC2 refuses user data over 16 KB (before its own base64); Terraform's provider checks it at validate. */
export const USER_DATA_LIMIT = 16384;
/** Installs MariaDB 10.11, its backup tool and the AWS CLI on Debian 12 (bookworm). */
export const DEBIAN_12_INSTALL = 'DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-backup awscli';

export interface CloudInitFiles {
  readonly serverConfig: string;
  readonly bootstrapSql: string;
  readonly entrypoint: string;
}

export interface CloudInitOptions {
  readonly files: CloudInitFiles;
  /** SSM SecureString parameter name of each secret, keyed by the secret's file name. */
  readonly secretParameters: { [secret: string]: string };
  /** Shell command that installs mariadbd, mariadb-install-db, mariadb-backup and the aws CLI. */
  readonly installCommand: string;
  /** The health metric's dimensions. */
  readonly cluster: string;
  readonly host: string;
  /** Seconds between two health samples. */
  readonly healthIntervalSeconds: number;
}

interface WriteFile {
  readonly path: string;
  readonly permissions: string;
  readonly encoding: 'gz+b64';
  readonly content: string;
}

/** Gzipped, then base64: the files fit EC2's user-data limit with room to grow (about a third of their size). */
function file(path: string, permissions: string, content: string): WriteFile {
  return { path, permissions, encoding: 'gz+b64', content: gzipSync(Buffer.from(content, 'utf8'), { level: 9 }).toString('base64') };
}

/** Mounts the data volume, fetches the secrets and starts the server; runs on the first boot. */
export function renderBootScript(o: CloudInitOptions): string {
  const fetches = Object.entries(o.secretParameters).map(([secret, parameter]) =>
    `fetch_secret ${secret} '${parameter}'`).join('\n');
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha; do not edit.
set -euo pipefail
say() { echo "[mariadb-ha] $*" >&2; }

if ! command -v mariadbd >/dev/null; then
  say "installing MariaDB"
  ${o.installCommand}
fi
# The distribution's own service would start a server on the root disk's data directory.
systemctl disable --now mariadb.service mysql.service 2>/dev/null || true

# The data volume: the one whole disk that is not the root disk (nvme1n1 on Nitro, xvdf on Xen).
root_disk=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")
device=
for _ in $(seq 1 300); do
  device=$(lsblk -dpno NAME,TYPE | awk '$2 == "disk" {print $1}' | grep -v "^/dev/$root_disk$" | head -1 || true)
  [ -n "$device" ] && break
  sleep 2
done
[ -n "$device" ] || { say "no data volume was attached within 10 minutes"; exit 1; }
fresh=
if ! blkid "$device" >/dev/null 2>&1; then
  say "formatting the new data volume $device"
  mkfs.ext4 -q -L mariadb-data "$device"
  fresh=1
fi
uuid=$(blkid -s UUID -o value "$device")
mkdir -p ${DATA_DIR}
grep -q "UUID=$uuid" /etc/fstab || echo "UUID=$uuid ${DATA_DIR} ext4 defaults,nofail 0 2" >>/etc/fstab
mountpoint -q ${DATA_DIR} || mount ${DATA_DIR}
# The entrypoint bootstraps only an empty data directory; mkfs leaves lost+found in it.
[ -z "$fresh" ] || rmdir ${DATA_DIR}/lost+found

# Secrets come from SSM through the instance profile, so user data holds none.
token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
region=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/placement/region)
install -d -m 0700 ${SECRETS_DIR}
fetch_secret() {
  local value
  value=$(aws ssm get-parameter --region "$region" --name "$2" --with-decryption --query Parameter.Value --output text)
  (umask 0377; printf '%s' "$value" >"${SECRETS_DIR}/$1.new")
  mv "${SECRETS_DIR}/$1.new" "${SECRETS_DIR}/$1"
}
${fetches}

systemctl daemon-reload
systemctl enable --now ${SERVICE_NAME} ${HEALTH_TIMER_NAME}
`;
}

/** Publishes 1 while the server answers on its socket, 0 otherwise: what the Route 53 health check's alarm watches. */
export function renderHealthScript(o: CloudInitOptions): string {
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha; do not edit.
value=0
mariadb-admin --socket=${SERVER_SOCKET} --connect-timeout=2 --silent ping >/dev/null 2>&1 && value=1
token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
region=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/placement/region)
exec aws cloudwatch put-metric-data --region "$region" --namespace ${HEALTH_NAMESPACE} --metric-name ${HEALTH_METRIC} \\
  --dimensions Cluster=${o.cluster},Host=${o.host} --value "$value" --storage-resolution 60
`;
}

function serviceUnit(): string {
  return `[Unit]
Description=MariaDB (cdktf-mariadb-ha)
After=network-online.target local-fs.target
Wants=network-online.target
RequiresMountsFor=${DATA_DIR}

[Service]
Type=simple
ExecStart=/bin/bash ${ENTRYPOINT_PATH}
Restart=on-failure
RestartSec=5
# InnoDB gets time for a clean shutdown.
TimeoutStopSec=60
LimitNOFILE=65535

[Install]
WantedBy=multi-user.target
`;
}

function healthUnits(o: CloudInitOptions): { service: string; timer: string } {
  return {
    service: `[Unit]
Description=MariaDB health metric (cdktf-mariadb-ha)

[Service]
Type=oneshot
ExecStart=/bin/bash ${HEALTH_SCRIPT_PATH}
`,
    timer: `[Unit]
Description=MariaDB health metric every ${o.healthIntervalSeconds} s (cdktf-mariadb-ha)

[Timer]
OnBootSec=${o.healthIntervalSeconds}s
OnUnitActiveSec=${o.healthIntervalSeconds}s
AccuracySec=1s

[Install]
WantedBy=timers.target
`,
  };
}

/** The user data: a cloud-config (JSON is YAML) whose files are gzip+base64, so no character of them reaches Terraform or YAML as syntax. */
export function renderCloudInit(o: CloudInitOptions): string {
  const health = healthUnits(o);
  const config = {
    write_files: [
      file(SERVER_CONFIG_PATH, '0644', o.files.serverConfig),
      file(BOOTSTRAP_SQL_PATH, '0600', o.files.bootstrapSql),
      file(ENTRYPOINT_PATH, '0755', o.files.entrypoint),
      file(BOOT_SCRIPT_PATH, '0700', renderBootScript(o)),
      file(HEALTH_SCRIPT_PATH, '0755', renderHealthScript(o)),
      file(`/etc/systemd/system/${SERVICE_NAME}`, '0644', serviceUnit()),
      file('/etc/systemd/system/mariadb-ha-health.service', '0644', health.service),
      file(`/etc/systemd/system/${HEALTH_TIMER_NAME}`, '0644', health.timer),
    ],
    runcmd: [['/bin/bash', BOOT_SCRIPT_PATH]],
  };
  return `#cloud-config\n${JSON.stringify(config)}\n`;
}

/** The files of a rendered cloud-config, by path (what cloud-init would write). */
export function cloudInitFiles(userData: string): { [path: string]: string } {
  const body = userData.replace(/^#cloud-config\n/, '');
  const config = JSON.parse(body) as { write_files: WriteFile[] };
  return Object.fromEntries(config.write_files.map((f) => [f.path, gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8')]));
}
