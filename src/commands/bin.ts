// The `mariadb-ha` command as one program: the entry of the bundle the failover monitor's container runs.
import { main } from './cli';

main(process.argv.slice(2)).then((code) => process.exit(code));
