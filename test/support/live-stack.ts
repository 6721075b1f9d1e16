// Synthesizes a stack in-process, deploys it with `terraform apply`, and always cleans up.
import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { CLI_OVERRIDE_ENV } from '../../src/constructs/tool-command';
import { run, runChecked, RunResult } from '../../src/process';
import { acquireLock } from './build-lock';
import { DESTROY_CLUSTER_ENV } from '../../src/commands/writers';

const TERRAFORM_TIMEOUT_MS = 5 * 60_000;

export interface LiveStackOptions {
  /** Prefix of every Docker object the stack creates; cleanup removes leftovers by it. */
  readonly dockerPrefix: string;
  readonly build: (stack: TerraformStack) => void;
  /** Terraform variables (TF_VAR_*), e.g. generated passwords. */
  readonly variables: Record<string, string>;
}

export function generatedPassword(): string {
  return `Pw-${randomBytes(12).toString('base64url')}`;
}

export class LiveStack {
  /** Prefix of the Docker objects this stack creates. */
  public readonly dockerPrefix: string;
  public readonly dir: string;
  private readonly root: string;
  /** The environment Terraform runs in (TF_VAR_* included). */
  public readonly environment: NodeJS.ProcessEnv;
  public lastApply?: RunResult;
  /** Wall time of the last `applyUnderLoad`'s apply, in ms. */
  public lastApplyMs = 0;

  constructor(private readonly options: LiveStackOptions) {
    this.dockerPrefix = options.dockerPrefix;
    this.root = mkdtempSync(join(tmpdir(), `${options.dockerPrefix}-`));
    this.synthesize();
    this.dir = join(this.root, 'out', 'stacks', 'live');
    this.environment = {
      ...process.env,
      ...Object.fromEntries(Object.entries(options.variables).map(([k, v]) => [`TF_VAR_${k}`, v])),
      TF_IN_AUTOMATION: '1',
      // Provisioners run this checkout's CLI; an installed package is found by name instead.
      [CLI_OVERRIDE_ENV]: process.env[CLI_OVERRIDE_ENV] ?? join(__dirname, '..', '..', 'bin', 'mariadb-ha.js'),
    };
  }

  /** Synthesizes the stack (again, after what `build` reads has changed) into the same directory and state. */
  public synthesize(): void {
    const app = new App({ outdir: join(this.root, 'out') });
    const stack = new TerraformStack(app, 'live');
    new LocalBackend(stack, { path: join(this.root, 'terraform.tfstate') });
    this.options.build(stack);
    app.synth();
  }

  /** The synthesized Terraform JSON, as text. */
  public synthesized(): string {
    return readFileSync(join(this.dir, 'cdk.tf.json'), 'utf8');
  }

  public terraform(args: string[], timeoutMs = TERRAFORM_TIMEOUT_MS): Promise<RunResult> {
    return runChecked('terraform', [...args, '-no-color'], { cwd: this.dir, env: this.environment, timeoutMs });
  }

  public async deploy(): Promise<RunResult> {
    await terraformInit((args) => this.terraform(args));
    this.lastApply = await this.terraform(['apply', '-input=false', '-auto-approve']);
    return this.lastApply;
  }

  public async output<T = any>(name: string): Promise<T> {
    const result = await this.terraform(['output', '-json', name], 60_000);
    return JSON.parse(result.stdout) as T;
  }

  /** Saves a plan as `tfplan` and returns the resources it changes, as `<address>: <actions>`. */
  public async plannedChanges(): Promise<string[]> {
    await this.terraform(['plan', '-input=false', '-out=tfplan']);
    const plan = JSON.parse((await this.terraform(['show', '-json', 'tfplan'])).stdout);
    return plan.resource_changes
      .filter((c: any) => !c.change.actions.every((a: string) => a === 'no-op'))
      .map((c: any) => `${c.address}: ${c.change.actions.join(',')}`);
  }

  /**
   * Applies the saved plan `tfplan` under a load: `startLoad` starts it (1.5 s before the apply) with
   * a stop condition that turns true 2 s after the apply ended; `maxLoadMs` bounds it. Fails when
   * the apply outlasted that bound, since the load then proved nothing about its end.
   */
  public async applyUnderLoad<T>(startLoad: (stopWhen: () => boolean) => Promise<T>, maxLoadMs: number): Promise<T> {
    let appliedAt = Infinity;
    const load = startLoad(() => Date.now() > appliedAt + 2_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const started = Date.now();
    const applied = this.terraform(['apply', '-input=false', '-auto-approve', 'tfplan'])
      .then((result) => { this.lastApply = result; }, (error: Error) => error)
      .finally(() => { appliedAt = Date.now(); });
    const loaded = await load;
    const failure = await applied;
    if (failure) throw failure;
    this.lastApplyMs = appliedAt - started;
    if (appliedAt - started > maxLoadMs - 3_500) throw new Error(`the apply took ${appliedAt - started} ms, longer than the load around it may run (${maxLoadMs} ms)`);
    return loaded;
  }

  /** The last apply's progress: what it did and when, without the outputs (for a failure's message). */
  public applyProgress(maxChars = 8000): string {
    const lines = (this.lastApply?.stdout ?? '').split('\n');
    const outputs = lines.indexOf('Outputs:');
    return (outputs >= 0 ? lines.slice(0, outputs) : lines).join('\n').slice(-maxChars);
  }

  /** terraform destroy, then removal of anything left with the stack's prefix, then the temp dir. */
  public async destroy(): Promise<RunResult | undefined> {
    let result: RunResult | undefined;
    try {
      // The whole stack goes: its masters are not moved out of their clusters one by one first.
      result = await runChecked('terraform', ['destroy', '-input=false', '-auto-approve', '-no-color'],
        { cwd: this.dir, env: { ...this.environment, [DESTROY_CLUSTER_ENV]: '*' }, timeoutMs: TERRAFORM_TIMEOUT_MS });
    } finally {
      await removeDockerObjects(this.options.dockerPrefix);
      rmSync(this.root, { recursive: true, force: true });
    }
    return result;
  }
}

async function docker(args: string[]): Promise<string> {
  return (await run('docker', args, { timeoutMs: 60_000 })).stdout.trim();
}

/** Docker objects whose names start with the prefix (the project's own naming). */
export async function dockerObjectsNamed(prefix: string): Promise<string[]> {
  const containers = await docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', 'container {{.Names}}']);
  const volumes = await docker(['volume', 'ls', '--filter', `name=^${prefix}`, '--format', 'volume {{.Name}}']);
  const networks = await docker(['network', 'ls', '--filter', `name=^${prefix}`, '--format', 'network {{.Name}}']);
  return [containers, volumes, networks].join('\n').split('\n').filter(Boolean);
}

/** Removes every container, volume and network whose name starts with the prefix. */
export async function removeDockerObjects(prefix: string): Promise<void> {
  for (const line of await dockerObjectsNamed(prefix)) {
    const [kind, name] = line.split(' ');
    if (kind === 'container') await docker(['rm', '-f', '-v', name]);
    if (kind === 'volume') await docker(['volume', 'rm', '-f', name]);
    if (kind === 'network') await docker(['network', 'rm', name]);
  }
}

/** Polls `check` until it returns a value or the deadline passes (then throws with the last reason). */
/**
 * Freezes a container (`docker pause`) and returns once Docker reports it paused. A pause Docker
 * refuses or leaves undone is tried again, then fails with Docker's answer: a drill whose victim
 * kept running would wait for a failover that has no reason to happen.
 */
export async function freezeContainer(name: string, attempts = 3): Promise<void> {
  let answer = '';
  for (let i = 0; i < attempts; i++) {
    const paused = await run('docker', ['pause', name], { timeoutMs: 30_000 });
    const state = await run('docker', ['inspect', '-f', '{{.State.Paused}}', name], { timeoutMs: 20_000 });
    if (state.stdout.trim() === 'true') return;
    answer = `pause exited ${paused.timedOut ? 'by timeout' : paused.code}: ${paused.stderr.trim()}; paused: ${state.stdout.trim()}`;
  }
  throw new Error(`${name} did not freeze after ${attempts} attempts (${answer})`);
}

export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Container logs, for failure messages. */
export async function containerLogs(names: string[]): Promise<string> {
  const parts = await Promise.all(names.map(async (n) => {
    const logs = await run('docker', ['logs', '--tail', '40', n], { timeoutMs: 20_000 });
    return `--- ${n} ---\n${logs.stdout}${logs.stderr}`;
  }));
  return parts.join('\n');
}

/** A container's log lines (its output and its errors), all or since `since`, without blank ones. */
export async function containerLogLines(name: string, since?: Date): Promise<string[]> {
  const out = await run('docker', ['logs', ...(since ? ['--since', since.toISOString()] : []), name], { timeoutMs: 20_000 });
  return `${out.stdout}${out.stderr}`.split('\n').filter((l) => l.trim() !== '');
}

/**
 * Since `since`: the endpoint's sessions that did not end normally (HAProxy's termination state is
 * not `--`) and its other log lines (server state changes), and the servers' aborted connections:
 * what to look at when a write through the endpoint lost its connection.
 */
export async function connectionIncidents(endpoint: string, servers: string[], since: Date): Promise<string[]> {
  const logs = (name: string) => containerLogLines(name, since);
  const endedBadly = (line: string) => {
    const f = line.trim().split(/\s+/);
    return !(/^[\d.]+:\d+$/.test(f[0]) && f[3]?.includes('/') && f[6] === '--');
  };
  const sessions = (await logs(endpoint)).filter(endedBadly).map((l) => `${endpoint}: ${l}`);
  const aborted = (await Promise.all(servers.map(async (s) => (await logs(s)).filter((l) => /Aborted connection|killed|Got an error/i.test(l)).map((l) => `${s}: ${l}`)))).flat();
  return [...sessions, ...aborted];
}

/** The line between a failure's own message and its context (logs); CI's brief of the failures stops there. */
export const FAILURE_CONTEXT = '--- what follows is context: logs, apply progress ---';

/** How many of the failover monitor's last lines a failure shows above its context (CI's brief keeps them). */
const MONITOR_LINES_IN_BRIEF = 8;

/**
 * Runs `work`; a failure carries `context` (apply progress, endpoint events) and the named
 * containers' logs, and above them the monitor's last lines (what it did or waited for is most
 * often why a live test failed, and CI's brief shows only what comes before the context).
 */
export async function withContainerLogs<T>(names: string[], work: () => Promise<T>, ...context: Array<() => string | Promise<string>>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const monitors = await Promise.all(names.filter((n) => n.endsWith('-monitor')).map(async (n) =>
      [`${n}, its last lines:`, ...(await containerLogLines(n)).slice(-MONITOR_LINES_IN_BRIEF).map((l) => `  ${l}`)]));
    const parts = await Promise.all(context.map((c) => c()));
    throw new Error([String(error), ...monitors.flat(), FAILURE_CONTEXT, ...parts, await containerLogs(names)].join('\n'));
  }
}

/**
 * `terraform init`, one at a time across the test processes: inits sharing the plugin cache race
 * on its directories ("mkdir ...: file exists", seen in CI with three workers).
 */
export async function terraformInit<T>(terraform: (args: string[]) => Promise<T>): Promise<T> {
  const release = await acquireLock('terraform-init');
  try {
    return await terraform(['init', '-input=false']);
  } finally {
    release();
  }
}
