// The rebuild rule both backends share: a host (container or instance) is replaced exactly when
// what shapes its server changes, never for what the tools change on it live.
import { createHash } from 'crypto';
import { Construct, TerraformData } from '../cdktf';
import { HostFiles } from '../constructs/backend';

/** Hex SHA-256 of rendered content: a revision that changes exactly when the content does. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A host's revision: replaced when `replaceOnChange` of its files changes. */
export function hostRevision(scope: Construct, files: HostFiles): TerraformData {
  return new TerraformData(scope, `${files.hostName}-files`, { input: { files: sha256(files.replaceOnChange) } });
}

/**
 * The `replace_triggered_by` entry for a revision; a string reference: cdktf 0.21 renders a
 * construct reference there with a comment Terraform rejects.
 */
export function replacedWith(revision: TerraformData): string {
  return `${TerraformData.tfResourceType}.${revision.friendlyUniqueId}`;
}
