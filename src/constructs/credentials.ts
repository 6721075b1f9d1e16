// Secrets enter as references to sensitive Terraform variables, never as plain text in synth output.
import { Construct, DefaultTokenResolver, StringConcat, TerraformStack, TerraformVariable, Token, Tokenization } from '../cdktf';
import { Problem } from '../model/problems';
import { ClusterSecrets } from './backend';

/** Passwords of the accounts the cluster creates. Each must be a reference (a token), not a literal. */
export interface ClusterCredentials {
  /**
   * Password of `root@localhost` (socket login also works inside a host).
   * @default - a sensitive variable `<cluster>_root_password`
   */
  readonly rootPassword?: string;
  /**
   * Password of the replication account (`REPLICATION SLAVE` only).
   * @default - a sensitive variable `<cluster>_replication_password`
   */
  readonly replicationPassword?: string;
  /**
   * Password of the monitoring account (`SLAVE MONITOR`).
   * @default - a sensitive variable `<cluster>_monitor_password`
   */
  readonly monitorPassword?: string;
  /**
   * Password of the switchover and failover account (`READ_ONLY ADMIN`, `CONNECTION ADMIN`,
   * `REPLICATION SLAVE ADMIN`, `RELOAD`, `SLAVE MONITOR`; no data privilege).
   * @default - a sensitive variable `<cluster>_operator_password`
   */
  readonly operatorPassword?: string;
  /**
   * Password of the application account (its own database only).
   * @default - a sensitive variable `<cluster>_application_password`
   */
  readonly applicationPassword?: string;
}

export const MIN_PASSWORD_LENGTH = 12;

const CREDENTIALS: Array<{ prop: keyof ClusterCredentials; secret: keyof ClusterSecrets; describes: string }> = [
  { prop: 'rootPassword', secret: 'root', describes: 'root@localhost' },
  { prop: 'replicationPassword', secret: 'replication', describes: 'the replication account' },
  { prop: 'monitorPassword', secret: 'monitor', describes: 'the monitoring account' },
  { prop: 'operatorPassword', secret: 'operator', describes: 'the switchover account' },
  { prop: 'applicationPassword', secret: 'application', describes: 'the application account' },
];

/** Literal secrets are refused: blank ones as unusable, the rest because synth output would hold them. */
export function credentialProblems(credentials: ClusterCredentials | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const { prop } of CREDENTIALS) {
    const value = credentials?.[prop];
    if (value === undefined || Token.isUnresolved(value)) continue;
    const property = `credentials.${prop}`;
    problems.push(
      value.trim() === ''
        ? { property, message: 'is empty or whitespace; leave it unset to get a sensitive variable, or pass one' }
        : { property, message: 'is a plain-text string and would be written into the synthesized JSON; pass a sensitive TerraformVariable (or leave it unset to get one)' },
    );
  }
  return problems;
}

/** Terraform-safe variable name prefix from a construct id. */
export function variablePrefix(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
}

/** Uses the given references, and creates a validated sensitive variable for each one missing. */
export function resolveCredentials(scope: Construct, prefix: string, credentials: ClusterCredentials = {}): ClusterSecrets {
  const resolved: Partial<Record<keyof ClusterSecrets, string>> = {};
  for (const { prop, secret, describes } of CREDENTIALS) {
    const maxLength = secret === 'replication' ? MAX_REPLICATION_PASSWORD_LENGTH : undefined;
    resolved[secret] = credentials[prop] ?? sensitiveVariable(scope, `${prefix}_${secret}_password`, describes, maxLength).stringValue;
  }
  return resolved as ClusterSecrets;
}

/** Longest password MariaDB stores for a replication connection (ER_CHANGE_MASTER_PASSWORD_LENGTH). */
export const MAX_REPLICATION_PASSWORD_LENGTH = 32;

function sensitiveVariable(scope: Construct, name: string, describes: string, maxLength?: number): TerraformVariable {
  const longest = maxLength === undefined ? '' : ` and at most ${maxLength}`;
  const variable = new TerraformVariable(scope, name, {
    type: 'string',
    sensitive: true,
    nullable: false,
    description: `Password of ${describes} (at least ${MIN_PASSWORD_LENGTH}${longest} characters, not blank, no control characters).`,
  });
  variable.overrideLogicalId(name);
  // Written as HCL: cdktf's Op helpers render the literals 0 and '' as `undefined`. A control
  // character (a newline) is stored but breaks the replication settings at the next server start.
  variable.addValidation({
    condition: `\${length(trimspace(var.${name})) > 0 && length(var.${name}) >= ${MIN_PASSWORD_LENGTH}${maxLength === undefined ? '' : ` && length(var.${name}) <= ${maxLength}`} && !can(regex("[[:cntrl:]]", var.${name}))}`,
    errorMessage: `${name} must not be blank, must have at least ${MIN_PASSWORD_LENGTH}${longest} characters, and no control characters (newlines, tabs).`,
  });
  return variable;
}

/**
 * Passwords passed as references to Terraform variables that are not sensitive: Terraform would
 * print them in plans and logs.
 */
export function sensitivityProblems(scope: Construct, credentials: ClusterCredentials | undefined): Problem[] {
  const stack = TerraformStack.of(scope);
  const variables = new Map(stack.node.findAll().filter((c): c is TerraformVariable => c instanceof TerraformVariable).map((v) => [v.friendlyUniqueId, v]));
  const problems: Problem[] = [];
  for (const { prop } of CREDENTIALS) {
    const value = credentials?.[prop];
    if (value === undefined || !Token.isUnresolved(value)) continue;
    const resolved = String(Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) }));
    for (const [, name] of resolved.matchAll(/\$\{var\.([A-Za-z0-9_-]+)\}/g)) {
      if (variables.get(name)?.sensitive !== true) {
        problems.push({ property: `credentials.${prop}`, message: `refers to the Terraform variable '${name}', which is not sensitive: plans and logs would print the password; declare it with sensitive: true` });
      }
    }
  }
  return problems;
}
