// Which MariaDB image the Docker backend runs, and whether Terraform pulls it.
import { Construct } from '../../cdktf';
import type { Image } from '@cdktf/provider-docker/lib/image';

/** The image scripts/build-images.sh builds offline from Debian packages (MariaDB 10.11, galera-4). */
export const PROJECT_MARIADB_IMAGE = 'cdktf-mariadb-ha/mariadb:10.11-bookworm';

/** A MariaDB server image: one the engine already has, or one Terraform pulls from a registry. */
export class MariaDbImage {
  /** The project's offline-built Debian image (run scripts/build-images.sh first). */
  public static readonly PROJECT_DEBIAN_10_11 = MariaDbImage.local(PROJECT_MARIADB_IMAGE);

  /** An image already present in the engine (built or pulled beforehand); Terraform never pulls it. */
  public static local(name: string): MariaDbImage {
    return new MariaDbImage(name, false);
  }

  /** An image Terraform pulls, e.g. the official `mariadb:10.11`; kept locally on destroy. */
  public static pull(name: string): MariaDbImage {
    return new MariaDbImage(name, true);
  }

  private constructor(public readonly name: string, public readonly pulled: boolean) {}

  /** The reference containers use: the name, or the pulled image's id so a new pull replaces them. */
  public bind(scope: Construct): string {
    if (!this.pulled) return this.name;
    const existing = scope.node.tryFindChild('image');
    const image = (existing as Image | undefined) ?? new (imageResource())(scope, 'image', { name: this.name, keepLocally: true });
    return image.imageId;
  }
}

/** The image resource class, loaded only when an image is pulled: its module is a quarter of a MB. */
function imageResource(): typeof Image {
  return require('@cdktf/provider-docker/lib/image').Image;
}
