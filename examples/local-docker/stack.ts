// The example topology on local Docker: active master, standby master, analytics replica, and a
// writer endpoint (HAProxy on 127.0.0.1:23300) that follows the active master.
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { DockerBackend, HaproxyWriterEndpoint, MariaDbReplicationCluster, ReplicaRole } from '../../src';

export class LocalHaStack extends TerraformStack {
  public readonly cluster: MariaDbReplicationCluster;
  public readonly writer: HaproxyWriterEndpoint;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // State holds every password in plain text: keep it in the git-ignored, owner-only .local/
    // (relative to the stack directory cdktf runs Terraform in, so no machine path is synthesized).
    new LocalBackend(this, { path: `../../../.local/terraform.${id}.tfstate` });
    new DockerProvider(this, 'docker');
    this.cluster = new MariaDbReplicationCluster(this, 'shop', {
      masters: [{ name: 'db-a' }, { name: 'db-b' }],
      activeMaster: 'db-a',
      replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS }],
      databaseName: 'shop',
      backend: new DockerBackend({ subnet: '10.213.0.0/24', hostPortBase: 23306 }),
      // Every host's server id, GTID domain and key offset, committed: a change that renumbers a
      // live host (reordering masters, renaming one) fails synth instead of reaching the servers.
      identityLockFile: 'examples/local-docker/mariadb-ha.lock.json',
    });
    this.writer = new HaproxyWriterEndpoint(this, 'writer', { cluster: this.cluster, hostPort: 23300 });
  }
}
