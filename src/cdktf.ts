// The one place this library imports cdktf and constructs (cdktf 0.21 is its last release; a move to
// the community fork then touches this file only).
export { Construct } from 'constructs';
export type { IConstruct } from 'constructs';
export {
  Annotations,
  DataResource,
  DefaultTokenResolver,
  StringConcat,
  Tokenization,
  Fn,
  Lazy,
  TerraformElement,
  TerraformLocal,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  TerraformVariable,
  Token,
} from 'cdktf';
export type { ITerraformDependable } from 'cdktf';
