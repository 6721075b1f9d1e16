// Seeding a new host: before its container first starts, its empty data volume receives a prepared
// mariabackup copy of a running donor, so the host starts from the copy's GTID position instead of
// replaying every binary log from the first (which fails once one has been purged). While a cluster
// is being created no donor runs yet, and its hosts start empty.
import { DATA_DIR, NEW_CLUSTER_MARKER, SEED_MARKER } from '../render/entrypoint';
import { DOCKER_HOST_ACCESS } from '../backends/docker/docker-host-access';

export interface SeedOptions {
  readonly volume: string;
  readonly image: string;
  /** Donor containers in order of preference (a replica's source first). */
  readonly donors: string[];
  /** How long to wait for a donor that exists to become healthy. */
  readonly waitSeconds: number;
  readonly progress: (line: string) => void;
}

/** The host access seeding uses: it works on volumes and images, which only Docker has. */
const docker = DOCKER_HOST_ACCESS;

/** True when the volume holds nothing yet. */
async function isEmpty(volume: string, image: string): Promise<boolean> {
  return (await docker.inVolume(volume, image, `ls -A ${DATA_DIR}`)).stdout.trim() === '';
}

/**
 * Marks the empty volume of a Galera cluster's first node so that node starts a new cluster; run
 * once, when the cluster is created. A volume that holds data is left alone (it is a member's).
 */
export async function markNewCluster(volume: string, image: string): Promise<string> {
  if (!(await isEmpty(volume, image))) return `${volume} already holds data; it joins its cluster, no new cluster is started`;
  await docker.inVolume(volume, image, `touch ${DATA_DIR}/${NEW_CLUSTER_MARKER} && chown -R mysql:mysql ${DATA_DIR}`);
  return `${volume} will start a new Galera cluster`;
}

/** Fills `volume` from the first healthy donor; returns what was done, for the apply log. */
export async function seed(options: SeedOptions): Promise<string> {
  if (!(await isEmpty(options.volume, options.image))) return `${options.volume} already holds data; nothing to seed`;
  const deadline = Date.now() + options.waitSeconds * 1000;
  let states: Array<'absent' | 'healthy' | 'starting'>;
  for (;;) {
    states = await Promise.all(options.donors.map((d) => docker.health(d)));
    if (states.every((s) => s === 'absent')) return `no donor runs yet (${options.donors.join(', ')}): a new cluster, ${options.volume} starts empty`;
    if (states.includes('healthy') || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const donor = options.donors[states.indexOf('healthy')];
  if (!donor) {
    throw new Error(`none of the donors (${options.donors.join(', ')}) became healthy within ${options.waitSeconds} s; start one and apply again (${options.volume} stays empty)`);
  }
  const started = Date.now();
  options.progress(`seeding ${options.volume} with a backup of ${donor} (${await docker.inspect(donor, '{{.Config.Hostname}}')})`);
  const position = await docker.streamBackup({
    donorContainer: donor,
    volume: options.volume,
    image: options.image,
    finish: [
      // The donor's replication state and markers are its own; the host bootstraps its own from the copy's position.
      `rm -f ${DATA_DIR}/master*.info ${DATA_DIR}/relay-log*.info ${DATA_DIR}/multi-master.info ${DATA_DIR}/*relay-bin* ${DATA_DIR}/.mariadb-ha-*`,
      `awk '{ print $3 }' ${DATA_DIR}/xtrabackup_binlog_info > ${DATA_DIR}/${SEED_MARKER}`,
    ],
  });
  return `seeded ${options.volume} from ${donor} at GTID ${position || '(empty)'} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}
