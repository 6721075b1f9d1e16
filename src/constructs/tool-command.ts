// The command line a synthesized provisioner runs `mariadb-ha` with.
import { shellQuote } from '../render/shell';

export const PACKAGE_NAME = 'cdktf-mariadb-ha';
/** Points provisioners at a checkout's CLI (development, this repository's tests); unset, the installed package's. */
export const CLI_OVERRIDE_ENV = 'MARIADB_HA_CLI';

/**
 * `node <mariadb-ha> <args>`, with the CLI found where Terraform runs it (the stack directory in
 * the user's project resolves the installed package), so the synthesized JSON holds no machine path.
 */
export function toolCommand(args: string[]): string {
  const cli = `"$(node -p "process.env.${CLI_OVERRIDE_ENV} || require.resolve('${PACKAGE_NAME}/bin/mariadb-ha.js')")"`;
  return ['node', cli, ...args.map(shellQuote)].join(' ');
}
