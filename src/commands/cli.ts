// mariadb-ha: the operator's command line. Exit codes: 0 healthy/done, 1 unhealthy/refused, 2 usage.
import { existsSync, readFileSync } from 'fs';
import { dirname, resolve } from 'path';
import { ClusterRef, ToolError, applicationLogin, loadDescription, monitorLogin, operatorLogin, passwordFor } from '../operator/cluster-ref';
import { collectStatus, DEFAULT_MAX_BEHIND, renderStatus } from './status';
import { EXIT_CODES, switchover } from './switchover';
import { verifyReplication } from './verify';
import { rejoin, RejoinOutcome } from './rejoin';
import { Passwords, rotatePasswords } from './rotate-passwords';
import { ClusterReview, PlanJson, planSummary, readSynthesizedStack, renderReview, reviewStacks, stacksOfPlan } from './review';
import { runChecked } from '../process';
import { withConnection } from '../operator/sql-client';
import { repoint } from './repoint';
import { markNewCluster, seed } from './seed';
import { recoverGalera } from './recover';
import { rollingRestart } from './rolling-restart';
import { applyWriters, DESTROY_CLUSTER_ENV, leave } from './writers';
import { monitorCommand } from './monitor';

const USAGE = `usage: mariadb-ha <command> --cluster <id> (--stack-dir <dir> | --description <file>) [options]

commands:
  status       replication health of every host (threads, lag, errors, GTID positions per
               domain, errant transactions, duplicate-key errors) and where the endpoint writes
  verify       write a probe row on the writer and time its arrival on every host
  rotate-passwords  set the passwords in MARIADB_HA_PASSWORDS_B64 (base64 JSON by account) on every
               running host and the endpoint, checks never failing on the way (terraform apply
               runs it when a password variable changes)
  switchover   --to <host>: move writes to another master, one writer at a time (new connections
               wait a few ms, open ones are closed once); refuses (exit 1, nothing changed) when
               replication is broken or the target lags
  rejoin       --host <master>: make a master that was lost as the writer a standby again; its
               extra transactions (see status, EXTRA) are discarded by rebuilding it from the
               writer with mariabackup, or applied on the writer with --apply-extra
  repoint      --host <replica>: make a running replica follow its planned source (and delay) by
               GTID, in place (terraform apply runs it when a replica's source changes)
  writers      give every running master its planned key slot (auto_increment increment and offset)
               and replication connections, live, in an order that never lets two writers generate
               the same key (terraform apply runs it when masters are added or removed)
  leave        --host <master>: before a removed master is destroyed: refuses while it takes the
               writes; otherwise fences it, waits until its peers have everything it has and drops
               their connections to it (terraform apply runs it; ${DESTROY_CLUSTER_ENV}=<cluster>
               when the whole cluster is destroyed)
  seed         --volume <v> --image <i> --donors <c1,c2>: before a new host first starts, copy a
               running donor into its empty data volume with mariabackup, so it starts at the
               copy's GTID position (terraform apply runs it; no --cluster; no donor: a new cluster);
               with --new-cluster instead of --donors: mark a Galera cluster's first node to start it
  rolling-restart  Galera: bring every node to the server settings in MARIADB_HA_NODE_FILES_B64, one node
               at a time, each restarted only once every node is synced (terraform apply runs it)
  recover      [--gone <node,...>]: after every node of a Galera cluster was lost, when the monitor does
               not restart it (off, refused, a node gone for good): finds each node's last committed
               position, restarts the cluster from the most advanced node and lets the others rejoin
               it; refuses while any node is in a primary component (a lost node rejoins by itself)
               and while a node's position is unknown, unless it is declared gone (its data lost)
  monitor      [--config <file>] [--secrets <dir>]: the failover monitor (its container runs it): watches
               every host, fails over when the writer is lost, fences a second writable master,
               moves replicas off lost sources; runs until stopped (no --cluster)
  wait-ready   --host <h> --address <a> [--port <p>] [--timeout <s>]: wait until a new host answers
               the monitor account (terraform apply runs it for an EC2 host, which boots and installs
               MariaDB after its instance exists)
  review <before> <after>: what a topology change does (hosts, identities, data at risk,
               replication edges, switchover, restarts) and a Mermaid diagram, as Markdown for a
               pull request; each side a synthesized stack dir or its cdk.tf.json (no --cluster)
  review --plan <file> [--stack-dir <dir>]: the same for a saved plan (terraform plan -out), the
               deployed cluster against the planned one, followed by the plan's resource changes;
               <file> is the plan (shown with terraform in --stack-dir) or its terraform show -json

options:
  --cluster <id>        construct id of the cluster (names its output and password variables)
  --stack-dir <dir>     synthesized stack directory (e.g. cdktf.out/stacks/local-ha)
  --description <file>  JSON of the cluster's description output, instead of --stack-dir
  --json                machine-readable output
  --wait <seconds>      status: keep checking until healthy or the time is up
  --max-behind <n>      status: transactions (by GTID) a host may lack of a source and be healthy (default 100)
  --to <host>           switchover: the master to make active
  --max-lag <seconds>   switchover: refuse when the target is further behind (default 5)
  --catch-up-timeout <seconds>  switchover: wait for the target to apply everything (default 10)
  --wait-healthy <seconds>      switchover: re-check a failed preflight this long (default 0)
  --host <master>       rejoin: the master to make a standby again
  --apply-extra         rejoin: apply its extra transactions on the writer instead of discarding them
  --host <replica>      repoint: the replica to move to its planned source
  --host <master>       leave: the master that is removed

exit codes: 0 healthy/done, 1 unhealthy/refused (nothing changed), 2 usage, 3 failed part-way
(the message says what state things are in and what to do)

passwords come from MARIADB_HA_MONITOR_PASSWORD / MARIADB_HA_OPERATOR_PASSWORD (switchover, rejoin) /
MARIADB_HA_REPLICATION_PASSWORD (rejoin, repoint, writers) / MARIADB_HA_APPLICATION_PASSWORD,
or from the TF_VAR_<cluster>_<account>_password variables the stack deploys with.`;

export interface ParsedArgs {
  readonly command: string;
  readonly options: Map<string, string | true>;
  /** Arguments that are not options, in order (only `review` takes them). */
  readonly operands: string[];
}

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  const options = new Map<string, string | true>();
  const operands: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      operands.push(arg);
      continue;
    }
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      options.set(arg.slice(2), next);
      i++;
    } else {
      options.set(arg.slice(2), true);
    }
  }
  return { command: command ?? 'help', options, operands };
}

function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  if (value === true) throw new ToolError(`--${name} needs a value`);
  return value;
}

function numberOption(args: ParsedArgs, name: string, fallback: number): number {
  const value = stringOption(args, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new ToolError(`--${name} needs a number of seconds, not '${value}'`);
  return parsed;
}

function clusterRef(args: ParsedArgs): ClusterRef {
  const cluster = stringOption(args, 'cluster');
  if (!cluster) throw new ToolError(`--cluster is required\n${USAGE}`);
  return {
    cluster,
    stackDir: stringOption(args, 'stack-dir'),
    descriptionFile: stringOption(args, 'description'),
    descriptionJson: process.env.MARIADB_HA_DESCRIPTION,
  };
}

async function switchoverCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const target = stringOption(args, 'to');
  if (!target) throw new ToolError(`switchover needs --to <host>\n${USAGE}`);
  const description = await loadDescription(ref);
  const configB64 = process.env.MARIADB_HA_ENDPOINT_CONFIG_B64;
  const result = await switchover({
    description,
    target,
    monitor: monitorLogin(ref.cluster),
    operator: operatorLogin(ref.cluster),
    maxLagSeconds: numberOption(args, 'max-lag', 5),
    catchUpTimeoutSeconds: numberOption(args, 'catch-up-timeout', 10),
    waitHealthySeconds: numberOption(args, 'wait-healthy', 0),
    persistConfig: configB64 ? Buffer.from(configB64, 'base64').toString('utf8') : undefined,
    progress: out,
  });
  out(`${result.outcome}: ${result.message} (${result.seconds.toFixed(2)} s)`);
  return EXIT_CODES[result.outcome];
}

async function waitReadyCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const cluster = stringOption(args, 'cluster');
  const host = stringOption(args, 'host');
  const address = stringOption(args, 'address');
  if (!cluster || !host || !address) throw new ToolError(`wait-ready needs --cluster, --host and --address\n${USAGE}`);
  const timeoutSeconds = numberOption(args, 'timeout', 900);
  const at = { host: address, port: numberOption(args, 'port', 3306) };
  const started = Date.now();
  let last = '';
  for (;;) {
    try {
      await withConnection(at, monitorLogin(cluster), (c) => c.query('SELECT 1'));
      out(`${host} answers at ${address}:${at.port} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() - started > timeoutSeconds * 1000) {
      out(`${host} did not answer at ${address}:${at.port} within ${timeoutSeconds} s (last: ${last}); see its boot log (cloud-init-output.log, journalctl -u mariadb-ha), then apply again`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function rejoinCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const host = stringOption(args, 'host');
  if (!host) throw new ToolError(`rejoin needs --host <master>\n${USAGE}`);
  const result = await rejoin({
    description: await loadDescription(ref),
    host,
    monitor: monitorLogin(ref.cluster),
    operator: operatorLogin(ref.cluster),
    replicationPassword: passwordFor(ref.cluster, 'replication'),
    applyExtra: args.options.has('apply-extra'),
    catchUpTimeoutSeconds: numberOption(args, 'catch-up-timeout', 120),
    progress: out,
  });
  out(`${result.outcome}: ${result.message}`);
  return result.outcome === RejoinOutcome.DONE ? 0 : result.outcome === RejoinOutcome.REFUSED ? 1 : 3;
}

async function repointCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const host = stringOption(args, 'host');
  if (!host) throw new ToolError(`repoint needs --host <replica>\n${USAGE}`);
  const description = await loadDescription(ref);
  return reportOutcome(out, () => repoint({
    description,
    host,
    monitor: monitorLogin(ref.cluster),
    operator: operatorLogin(ref.cluster),
    replicationPassword: () => passwordFor(ref.cluster, 'replication'),
    catchUpTimeoutSeconds: numberOption(args, 'catch-up-timeout', 120),
    progress: out,
  }));
}

/** Runs a tool step that either returns its report or throws: 'refused' exits 1 (nothing changed), anything else 3. */
async function reportOutcome(out: (s: string) => void, work: () => Promise<string>): Promise<number> {
  try {
    out(await work());
    return 0;
  } catch (error) {
    if (error instanceof ToolError) throw error;
    const message = (error as Error).message;
    out(message.startsWith('refused') ? message : `failed: ${message}`);
    return message.startsWith('refused') ? 1 : 3;
  }
}

async function writersCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const description = await loadDescription(ref);
  return reportOutcome(out, () => applyWriters({
    description,
    monitor: monitorLogin(ref.cluster),
    operator: operatorLogin(ref.cluster),
    replicationPassword: () => passwordFor(ref.cluster, 'replication'),
    catchUpTimeoutSeconds: numberOption(args, 'catch-up-timeout', 120),
    progress: out,
  }));
}

async function leaveCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const host = stringOption(args, 'host');
  if (!host) throw new ToolError(`leave needs --host <master>\n${USAGE}`);
  const description = await loadDescription(ref);
  return reportOutcome(out, () => leave({
    description,
    host,
    monitor: monitorLogin(ref.cluster),
    operator: operatorLogin(ref.cluster),
    catchUpTimeoutSeconds: numberOption(args, 'catch-up-timeout', 120),
    progress: out,
  }));
}

async function recoverCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const description = await loadDescription(ref);
  out(`recovering ${ref.cluster}:`);
  const gone = stringOption(args, 'gone')?.split(',').filter((n) => n !== '');
  return reportOutcome(out, () => recoverGalera({ description, waitSeconds: numberOption(args, 'wait', 300), gone, progress: out }));
}

async function rollingRestartCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const encoded = process.env.MARIADB_HA_NODE_FILES_B64;
  if (!encoded) throw new ToolError('rolling-restart reads the planned files from MARIADB_HA_NODE_FILES_B64 (base64 of a JSON object by node)');
  const description = await loadDescription(ref);
  const files = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  return reportOutcome(out, () => rollingRestart({ description, files, waitSeconds: numberOption(args, 'wait', 300), progress: out }));
}

async function seedCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const [volume, image, donors] = ['volume', 'image', 'donors'].map((name) => stringOption(args, name));
  const newCluster = args.options.has('new-cluster');
  if (!volume || !image || (!donors && !newCluster)) throw new ToolError(`seed needs --volume, --image and --donors (or --new-cluster)\n${USAGE}`);
  try {
    out(newCluster ? await markNewCluster(volume, image) : await seed({ volume, image, donors: donors!.split(','), waitSeconds: numberOption(args, 'wait', 300), progress: out }));
    return 0;
  } catch (error) {
    out(`failed: ${(error as Error).message}`);
    return 3;
  }
}

async function rotatePasswordsCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const encoded = process.env.MARIADB_HA_PASSWORDS_B64;
  if (!encoded) throw new ToolError('rotate-passwords reads the passwords from MARIADB_HA_PASSWORDS_B64 (base64 of a JSON object by account)');
  const passwords: Passwords = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  const changed = await rotatePasswords({ description: await loadDescription(ref), passwords, progress: out });
  out(`done: ${changed.length === 0 ? 'every host already had these passwords' : `${changed.join(', ')} changed on every host`}`);
  return 0;
}

async function status(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const description = await loadDescription(ref);
  const login = monitorLogin(ref.cluster);
  const deadline = Date.now() + numberOption(args, 'wait', 0) * 1000;
  const maxBehind = numberOption(args, 'max-behind', DEFAULT_MAX_BEHIND);
  let report = await collectStatus(description, login, maxBehind);
  while (!report.verdict.healthy && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    report = await collectStatus(description, login, maxBehind);
  }
  out(args.options.has('json') ? JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2) : renderStatus(description, report));
  return report.verdict.healthy ? 0 : 1;
}

async function verify(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const ref = clusterRef(args);
  const description = await loadDescription(ref);
  const results = await verifyReplication(description, applicationLogin(ref.cluster, description.databaseName));
  const missing = results.filter((r) => r.visibleAfterMs === undefined);
  if (args.options.has('json')) {
    out(JSON.stringify({ replicating: missing.length === 0, results }, null, 2));
  } else {
    for (const r of results) out(`  ${r.host.padEnd(16)} ${r.visibleAfterMs === undefined ? 'NOT REPLICATED' : `row visible after ${r.visibleAfterMs} ms`}`);
    out(missing.length === 0
      ? `replicating: a row written on the writer reached all ${results.length} hosts`
      : `NOT replicating to: ${missing.map((m) => m.host).join(', ')}; run 'mariadb-ha status' for the reason`);
  }
  return missing.length === 0 ? 0 : 1;
}

/** A saved plan as JSON: the file itself when it is JSON, otherwise `terraform show -json` of it in the stack directory. */
async function readPlan(file: string, stackDir: string | undefined): Promise<PlanJson> {
  if (!existsSync(file)) throw new ToolError(`review: ${file} does not exist`);
  if (readFileSync(file).subarray(0, 1).toString() === '{') return JSON.parse(readFileSync(file, 'utf8'));
  const cwd = stackDir ?? dirname(file);
  const shown = await runChecked('terraform', ['show', '-json', resolve(file)], { cwd, timeoutMs: 120_000 });
  return JSON.parse(shown.stdout);
}

async function review(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  const planFile = stringOption(args, 'plan');
  let reviews: ClusterReview[];
  let plan: PlanJson | undefined;
  if (planFile) {
    if (args.operands.length > 0) throw new ToolError(`review takes either --plan <file> or <before> <after>\n${USAGE}`);
    plan = await readPlan(planFile, stringOption(args, 'stack-dir'));
    const { before, after } = stacksOfPlan(plan);
    reviews = reviewStacks(before, after);
  } else {
    if (args.operands.length !== 2) throw new ToolError(`review needs two synthesized stacks (<before> <after>) or --plan <file>\n${USAGE}`);
    const [before, after] = args.operands.map(readSynthesizedStack);
    reviews = reviewStacks(before, after);
  }
  if (reviews.length === 0) throw new ToolError('review: no MariaDB cluster on either side (no <cluster>_cluster output)');
  out(renderReview(reviews, plan ? planSummary(plan) : undefined));
  return 0;
}

export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.command !== 'review' && args.operands.length > 0) throw new ToolError(`unexpected argument '${args.operands[0]}'\n${USAGE}`);
    switch (args.command) {
      case 'status': return await status(args, out);
      case 'verify': return await verify(args, out);
      case 'switchover': return await switchoverCommand(args, out);
      case 'rotate-passwords': return await rotatePasswordsCommand(args, out);
      case 'rejoin': return await rejoinCommand(args, out);
      case 'review': return await review(args, out);
      case 'repoint': return await repointCommand(args, out);
      case 'seed': return await seedCommand(args, out);
      case 'writers': return await writersCommand(args, out);
      case 'leave': return await leaveCommand(args, out);
      case 'recover': return await recoverCommand(args, out);
      case 'rolling-restart': return await rollingRestartCommand(args, out);
      case 'wait-ready': return await waitReadyCommand(args, out);
      case 'monitor': return await monitorCommand({ configPath: stringOption(args, 'config'), secretsDir: stringOption(args, 'secrets') });
      case 'help': case '--help': case '-h': out(USAGE); return 0;
      default: throw new ToolError(`unknown command '${args.command}'\n${USAGE}`);
    }
  } catch (error) {
    if (error instanceof ToolError) {
      err(`mariadb-ha: ${error.message}`);
      return error.exitCode;
    }
    err(`mariadb-ha: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
