// The Docker provider this library's resources need, and the provider versions it is proven with.
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Construct, TerraformStack } from '../../cdktf';

/**
 * kreuzwerker/docker versions the resources are tested against: 3.6.2 (the bindings' own) and the
 * 4.x line, whose only schema removal (docker_network.check_duplicate) this library does not use.
 */
export const DOCKER_PROVIDER_CONSTRAINT = '>= 3.6.2, < 5.0.0';

/** Fails at synth, naming what to add, when the stack has no Docker provider; widens its version range. */
export function requireDockerProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const provider = stack.node.findAll().find((c) => c instanceof DockerProvider);
  if (!provider) {
    throw new Error(`${scope.node.path}: the stack has no Docker provider; add \`new DockerProvider(stack, 'docker')\` (from '@cdktf/provider-docker/lib/provider') before the cluster`);
  }
  stack.addOverride('terraform.required_providers.docker.version', DOCKER_PROVIDER_CONSTRAINT);
}
