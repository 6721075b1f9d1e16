// Which MariaDB image the Docker backend runs, and whether Terraform pulls it.
import { Construct } from '../../cdktf';
import type { Image } from '@cdktf/provider-docker/lib/image';

/** The image scripts/build-images.sh builds offline from Debian packages (MariaDB 10.11, galera-4). */
export const PROJECT_MARIADB_IMAGE = 'cdktf-mariadb-ha/mariadb:10.11-bookworm';
/** The same recipe on Debian 13 (trixie): MariaDB 11.8 LTS, the target of a rolling upgrade. */
export const PROJECT_MARIADB_11_8_IMAGE = 'cdktf-mariadb-ha/mariadb:11.8-trixie';

/** A MariaDB server image: one the engine already has, or one Terraform pulls from a registry. */
export class MariaDbImage {
  /** The project's offline-built Debian image (run scripts/build-images.sh first). */
  public static readonly PROJECT_DEBIAN_10_11 = MariaDbImage.local(PROJECT_MARIADB_IMAGE);
  /** The project's offline-built Debian 13 image with MariaDB 11.8 (scripts/build-images.sh). */
  public static readonly PROJECT_DEBIAN_13_11_8 = MariaDbImage.local(PROJECT_MARIADB_11_8_IMAGE);

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
  public bind(scope: Construct, id = 'image'): string {
    if (!this.pulled) return this.name;
    const existing = scope.node.tryFindChild(id);
    const image = (existing as Image | undefined) ?? new (imageResource())(scope, id, { name: this.name, keepLocally: true });
    return image.imageId;
  }
}

/** The project's images by MariaDB series (`major.minor`): what a host's `mariadbVersion` runs by default. */
export const PROJECT_IMAGES_BY_SERIES: { readonly [series: string]: MariaDbImage } = {
  '10.11': MariaDbImage.PROJECT_DEBIAN_10_11,
  '11.8': MariaDbImage.PROJECT_DEBIAN_13_11_8,
};

/** The image resource class, loaded only when an image is pulled: its module is a quarter of a MB. */
function imageResource(): typeof Image {
  return require('@cdktf/provider-docker/lib/image').Image;
}
