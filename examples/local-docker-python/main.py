#!/usr/bin/env python3
"""The example topology of examples/local-docker, in Python: the same stack, the same Terraform JSON.

Active master, standby master, analytics replica, and a writer endpoint (HAProxy on
127.0.0.1:23300) that follows the active master. `scripts/python-example.sh` builds the package's
Python wheel, installs it with requirements.txt into a virtual environment, and runs this file.
"""
from cdktf import App, LocalBackend, TerraformStack
from cdktf_cdktf_provider_docker.provider import DockerProvider
from constructs import Construct

from cdktf_mariadb_ha import (
    DockerBackend,
    HaproxyWriterEndpoint,
    MariaDbReplicationCluster,
    MasterSpec,
    ReplicaRole,
    ReplicaSpec,
)


class LocalHaStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # State holds every password in plain text: keep it in the git-ignored, owner-only .local/.
        LocalBackend(self, path=f"../../../.local/terraform.{id}.tfstate")
        DockerProvider(self, "docker")
        self.cluster = MariaDbReplicationCluster(
            self,
            "shop",
            masters=[MasterSpec(name="db-a"), MasterSpec(name="db-b")],
            active_master="db-a",
            replicas=[ReplicaSpec(name="analytics", source="db-b", role=ReplicaRole.ANALYTICS)],
            database_name="shop",
            backend=DockerBackend(subnet="10.213.0.0/24", host_port_base=23306),
            identity_lock_file="examples/local-docker/mariadb-ha.lock.json",
        )
        self.writer = HaproxyWriterEndpoint(self, "writer", cluster=self.cluster, host_port=23300)


app = App()
LocalHaStack(app, "local-ha")
app.synth()
