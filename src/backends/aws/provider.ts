// The AWS provider bindings, loaded only when an AWS construct is used: `@cdktf/provider-aws` is an
// optional peer dependency, so a Docker-only user installs nothing for AWS.
import { Construct, TerraformProvider, TerraformStack } from '../../cdktf';
import type * as securityGroup from '@cdktf/provider-aws/lib/security-group';
import type * as ssmParameter from '@cdktf/provider-aws/lib/ssm-parameter';
import type * as iamRole from '@cdktf/provider-aws/lib/iam-role';
import type * as iamRolePolicy from '@cdktf/provider-aws/lib/iam-role-policy';
import type * as iamInstanceProfile from '@cdktf/provider-aws/lib/iam-instance-profile';
import type * as instance from '@cdktf/provider-aws/lib/instance';
import type * as ebsVolume from '@cdktf/provider-aws/lib/ebs-volume';
import type * as volumeAttachment from '@cdktf/provider-aws/lib/volume-attachment';
import type * as route53Record from '@cdktf/provider-aws/lib/route53-record';
import type * as route53HealthCheck from '@cdktf/provider-aws/lib/route53-health-check';
import type * as cloudwatchMetricAlarm from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';

/** hashicorp/aws versions the resources are tested against (5.100.0, the bindings' own). */
export const AWS_PROVIDER_CONSTRAINT = '>= 5.100.0, < 6.0.0';
export const AWS_BINDINGS = '@cdktf/provider-aws@20.1.0';

/** A deep module of the bindings (the package root costs seconds and hundreds of MB). */
function load<T>(module: string): T {
  try {
    return require(`@cdktf/provider-aws/lib/${module}`) as T;
  } catch (error) {
    throw new Error(`the AWS constructs need the AWS provider bindings: npm install ${AWS_BINDINGS} (${(error as Error).message.split('\n')[0]})`);
  }
}

export const aws = {
  securityGroup: () => load<typeof securityGroup>('security-group'),
  ssmParameter: () => load<typeof ssmParameter>('ssm-parameter'),
  iamRole: () => load<typeof iamRole>('iam-role'),
  iamRolePolicy: () => load<typeof iamRolePolicy>('iam-role-policy'),
  iamInstanceProfile: () => load<typeof iamInstanceProfile>('iam-instance-profile'),
  instance: () => load<typeof instance>('instance'),
  ebsVolume: () => load<typeof ebsVolume>('ebs-volume'),
  volumeAttachment: () => load<typeof volumeAttachment>('volume-attachment'),
  route53Record: () => load<typeof route53Record>('route53-record'),
  route53HealthCheck: () => load<typeof route53HealthCheck>('route53-health-check'),
  cloudwatchMetricAlarm: () => load<typeof cloudwatchMetricAlarm>('cloudwatch-metric-alarm'),
};

/** Fails at synth, naming what to add, when the stack has no AWS provider; pins its version range. */
export function requireAwsProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const provider = stack.node.findAll().find((c) => c instanceof TerraformProvider && c.terraformResourceType === 'aws');
  if (!provider) {
    throw new Error(`${scope.node.path}: the stack has no AWS provider; add \`new AwsProvider(stack, 'aws', { region })\` (from '@cdktf/provider-aws/lib/provider') before the cluster`);
  }
  stack.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_CONSTRAINT);
}
