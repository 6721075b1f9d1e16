// The one place this library imports cdktf and constructs (cdktf 0.21 is its last release; a move to
// the community fork then touches this file only).
export { Construct } from 'constructs';
export type { IConstruct } from 'constructs';
import { anyToTerraform, hashMapper, TerraformMetaArguments, TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';

export {
  AssetType,
  Annotations,
  dependable,
  DefaultTokenResolver,
  StringConcat,
  Tokenization,
  Fn,
  Lazy,
  TerraformAsset,
  TerraformElement,
  TerraformIterator,
  TerraformLocal,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Token,
} from 'cdktf';
export type { ITerraformDependable } from 'cdktf';

export interface TerraformDataConfig extends TerraformMetaArguments {
  /** Stored in state; a change is an in-place update (which `replace_triggered_by` reacts to). */
  readonly input?: { [key: string]: unknown };
  /** A change replaces the resource (and runs its provisioners again). */
  readonly triggersReplace?: { [key: string]: unknown };
}

/**
 * Terraform's built-in `terraform_data`. cdktf's own class checks the Terraform version at every
 * synth by starting `terraform version` once per resource (about 70 ms each, measured here); this
 * library needs Terraform >= 1.5 anyway, so it does without the check.
 */
export class TerraformData extends TerraformResource {
  public static readonly tfResourceType = 'terraform_data';

  constructor(scope: Construct, id: string, private readonly config: TerraformDataConfig = {}) {
    super(scope, id, {
      terraformResourceType: TerraformData.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'terraform' },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return {
      input: hashMapper(anyToTerraform)(this.config.input),
      triggers_replace: hashMapper(anyToTerraform)(this.config.triggersReplace),
    };
  }
}

/**
 * Text Terraform must take literally (a shell script in a file upload): `${` and `%{` would be
 * read as interpolation and template directives, so they are escaped as `$${` and `%%{`.
 */
export function terraformLiteral(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}
