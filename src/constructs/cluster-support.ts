// What both cluster constructs (master-master and Galera) do alike: check their id, keep their
// Terraform variable names apart, describe themselves to the tools, and rotate passwords live.
import { Construct, Fn, ITerraformDependable, Lazy, TerraformData, TerraformResource, TerraformStack, TerraformVariable } from '../cdktf';
import { PlannedHost, TopologyPlan } from '../model/plan';
import { Problem } from '../model/problems';
import { ClusterSecrets } from './backend';
import { toolCommand } from './tool-command';

/** The id names Docker objects, Terraform variables and a shell argument of the tools. */
const CLUSTER_ID = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

export function clusterIdProblems(id: string): Problem[] {
  return CLUSTER_ID.test(id)
    ? []
    : [{ property: 'id', message: `'${id}' is not a cluster id: a letter, then up to 39 letters, digits, '-' or '_' (it names containers, variables and command arguments)` }];
}

/** Every cluster construct of a stack by its variable prefix, so two never share passwords. */
const PREFIXES = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * Two clusters whose ids map to the same variable names (`shop-1`, `shop_1`) would share passwords;
 * records this cluster's prefix when it is free.
 */
export function claimVariablePrefix(cluster: Construct, prefix: string): Problem[] {
  const stack = TerraformStack.of(cluster);
  const claimed = PREFIXES.get(stack) ?? new Map<string, string>();
  PREFIXES.set(stack, claimed);
  const other = claimed.get(prefix);
  if (other !== undefined) {
    return [{ property: 'id', message: `'${cluster.node.id}' gives the same Terraform variable names (${prefix}_*) as the cluster at '${other}'; choose ids that differ in more than '-' and '_'` }];
  }
  claimed.set(prefix, cluster.node.path);
  return [];
}

/** A cluster's description as the tools read it from their environment (resolved at synth). */
export function descriptionJson(describe: () => unknown): string {
  return Lazy.stringValue({ produce: () => JSON.stringify(describe()) });
}

/**
 * Sets changed passwords on every running host (and the endpoint) before anything uses them: a
 * `terraform_data` replaced when a password changes, after every resource of the cluster.
 */
export function passwordRotation(cluster: Construct, secrets: ClusterSecrets, describe: () => unknown): TerraformData {
  const passwords = Fn.base64encode(Fn.jsonencode(secrets));
  return new TerraformData(cluster, 'password-rotation', {
    triggersReplace: { passwords: Fn.sha256(passwords) },
    dependsOn: cluster.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource),
    provisioners: [{
      type: 'local-exec',
      command: toolCommand(['rotate-passwords', '--cluster', cluster.node.id]),
      // Terraform hides this provisioner's output (its environment is sensitive); the tool prints no secret.
      environment: {
        MARIADB_HA_DESCRIPTION: descriptionJson(describe),
        MARIADB_HA_PASSWORDS_B64: passwords,
      },
    }],
  });
}

/**
 * Moves a running replica to its planned source (and delay) when they change, in place by GTID;
 * on creation it finds the replica already as planned and changes nothing.
 */
export function repointOnChange(cluster: Construct, host: PlannedHost, rotation: ITerraformDependable, describe: () => unknown): TerraformData {
  return new TerraformData(cluster, `${host.name}-sources`, {
    triggersReplace: { sources: host.sources.map((e) => e.source), delaySeconds: host.sources[0]?.delaySeconds ?? 0 },
    dependsOn: [rotation],
    provisioners: [{
      type: 'local-exec',
      // No secret here, so Terraform shows the tool's progress; it reads the passwords from the
      // environment `terraform apply` runs in, as the switchover does.
      command: toolCommand(['repoint', '--cluster', cluster.node.id, '--host', host.name]),
      environment: { MARIADB_HA_DESCRIPTION: descriptionJson(describe) },
    }],
  });
}

/**
 * The variable `<prefix>_active_master` a writer endpoint follows (default: the plan's active
 * master; only promotion candidates pass its validation); `role` says what it steers.
 */
export function activeMasterVariable(endpoint: Construct, variablePrefix: string, plan: TopologyPlan, role: string): TerraformVariable {
  const name = `${variablePrefix}_active_master`;
  const variable = new TerraformVariable(endpoint, 'active-master', {
    type: 'string',
    default: plan.activeMaster,
    description: `${role}; one of: ${plan.candidates.join(', ')}. Changing it switches over.`,
  });
  variable.overrideLogicalId(name);
  variable.addValidation({
    condition: `\${contains(${JSON.stringify(plan.candidates)}, var.${name})}`,
    errorMessage: `${name} must be a promotion candidate: ${plan.candidates.join(', ')}.`,
  });
  return variable;
}
