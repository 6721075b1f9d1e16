// Host access on local Docker: the one module that starts `docker`. A host is a container; its
// shell is `docker exec`, its data a named volume mounted at the data directory, and a throwaway
// container of the host's image works on a volume while no server runs on it.
import { spawn } from 'child_process';
import { DATA_DIR, HA_DIR, SERVER_CONFIG_PATH } from '../../render/entrypoint';
import { SERVER_SOCKET } from '../../render/server-config';
import { run, RunResult } from '../../process';
import { ExecOptions, ExecResult, HostAccess, HostProcess, lastLines } from '../host-access';

const DOCKER_TIMEOUT_MS = 60_000;

async function docker(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('docker', args, { timeoutMs: options.timeoutMs ?? DOCKER_TIMEOUT_MS, input: options.input });
}

async function dockerChecked(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const result = await docker(args, options);
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`docker ${args[0]} ${args[args.length - 1]} ${result.timedOut ? 'timed out' : `exited with ${result.code}`}: ${lastLines(result.stderr || result.stdout, 5)}`);
  }
  return result;
}

export interface BackupStreamOptions {
  readonly donorContainer: string;
  readonly volume: string;
  /** An image with mariabackup (the hosts' own). */
  readonly image: string;
  /** Shell lines run in the volume's container after the copy is prepared (markers, ownership). */
  readonly finish: string[];
}

export class DockerHostAccess implements HostAccess {
  public async exec(host: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return docker(['exec', ...(options.input !== undefined ? ['-i'] : []), host, ...command], options);
  }

  public open(host: string, command: string[]): HostProcess {
    const child = spawn('docker', ['exec', '-i', host, ...command]);
    // A session never keeps the process alive; a pending command's timer does.
    child.unref();
    [child.stdin, child.stdout, child.stderr].forEach((s: any) => s.unref?.());
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      kill: () => child.kill(),
      onEnd: (listener) => {
        child.on('error', (e) => listener(e.message));
        child.stdin.on('error', (e) => listener(e.message));
        child.on('close', (code) => listener(`session ended (${code})${stderr ? `: ${stderr.trim()}` : ''}`));
      },
    };
  }

  public async isRunning(host: string): Promise<boolean> {
    const result = await docker(['inspect', '--format', '{{.State.Running}}', host], { timeoutMs: 20_000 });
    return result.code === 0 && result.stdout.trim() === 'true';
  }

  public async start(host: string): Promise<void> {
    await dockerChecked(['start', host]);
  }

  public async stop(host: string, graceSeconds: number): Promise<void> {
    await dockerChecked(['stop', '--time', String(graceSeconds), host], { timeoutMs: (graceSeconds + 60) * 1000 });
  }

  public async restart(host: string, graceSeconds: number): Promise<void> {
    await dockerChecked(['restart', '--time', String(graceSeconds), host], { timeoutMs: (graceSeconds + 120) * 1000 });
  }

  public async logs(host: string, tailLines?: number): Promise<string> {
    const result = await docker(['logs', ...(tailLines ? ['--tail', String(tailLines)] : []), host], { timeoutMs: 20_000 });
    if (result.code !== 0) throw new Error(`docker logs ${host}: ${lastLines(result.stderr, 3)}`);
    return `${result.stdout}${result.stderr}`;
  }

  public async rebuildFrom(donor: string, host: string, finish: string[], progress: (line: string) => void): Promise<string> {
    const image = await this.imageOf(host);
    const volume = await this.dataVolumeOf(host);
    await this.stop(host, 60);
    progress(`      ${host} stopped; streaming a backup of ${donor} into ${volume}`);
    const position = await this.streamBackup({ donorContainer: donor, volume, image, finish });
    await this.start(host);
    return position;
  }

  /** A throwaway container of the host's image on its data volume, its settings file copied in (through stdin). */
  public async offline(host: string, script: string, options: ExecOptions = {}): Promise<ExecResult> {
    const [image, volume, settings] = await Promise.all([this.imageOf(host), this.dataVolumeOf(host), this.readFileOf(host, SERVER_CONFIG_PATH)]);
    const prepare = `mkdir -p ${HA_DIR} /run/mysqld && chown mysql:mysql /run/mysqld && cat > ${SERVER_CONFIG_PATH}`;
    return docker(['run', '--rm', '-i', '--network', 'none', '-v', `${volume}:${DATA_DIR}`, '--entrypoint', 'bash', image, '-c', `${prepare} && ${script}`],
      { input: settings, timeoutMs: options.timeoutMs ?? 120_000 });
  }

  /** One field of `docker inspect`, by Go template. */
  public async inspect(container: string, format: string): Promise<string> {
    return (await dockerChecked(['inspect', '--format', format, container], { timeoutMs: 20_000 })).stdout.trim();
  }

  /** Whether a container exists, runs, and passes its health check. */
  public async health(container: string): Promise<'absent' | 'healthy' | 'starting'> {
    const result = await docker(['inspect', '--format', '{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', container], { timeoutMs: 20_000 });
    if (result.code !== 0) return 'absent';
    return result.stdout.trim() === 'true healthy' ? 'healthy' : 'starting';
  }

  public imageOf(container: string): Promise<string> {
    return this.inspect(container, '{{.Config.Image}}');
  }

  /** The named volume a container keeps its data directory on. */
  public async dataVolumeOf(container: string): Promise<string> {
    const volume = await this.inspect(container, `{{range .Mounts}}{{if eq .Destination "${DATA_DIR}"}}{{.Name}}{{end}}{{end}}`);
    if (!volume) throw new Error(`${container} has no data volume at ${DATA_DIR}`);
    return volume;
  }

  /** Runs a bash script in a throwaway container of `image` that mounts `volume` at the data directory (no network). */
  public async inVolume(volume: string, image: string, script: string, input?: string, timeoutMs = 120_000): Promise<RunResult> {
    return dockerChecked(['run', '--rm', ...(input !== undefined ? ['-i'] : []), '--network', 'none', '-v', `${volume}:${DATA_DIR}`, '--entrypoint', 'bash', image, '-c', script],
      { input, timeoutMs });
  }

  /** A file inside a container, read whether the container runs or not. */
  public async readFileOf(container: string, path: string): Promise<string> {
    const archive = (await dockerChecked(['cp', `${container}:${path}`, '-'], { timeoutMs: 20_000 })).stdout;
    // `docker cp … -` writes a tar archive: a 512-byte header (the size in octal at 124), then the file.
    return archive.slice(512, 512 + parseInt(archive.slice(124, 136), 8));
  }

  /**
   * Replaces the volume's contents with a prepared mariabackup copy of the running donor, streamed
   * (xbstream over a pipe, no shared filesystem) into a throwaway container that mounts the volume;
   * returns the donor's GTID position at the copy.
   */
  public async streamBackup(options: BackupStreamOptions): Promise<string> {
    const restore = [
      'set -euo pipefail',
      `find ${DATA_DIR} -mindepth 1 -delete`,
      `cd ${DATA_DIR} && mbstream -x`,
      `mariadb-backup --prepare --target-dir=${DATA_DIR} >/tmp/prepare.log 2>&1 || { cat /tmp/prepare.log >&2; exit 1; }`,
      ...options.finish,
      `chown -R mysql:mysql ${DATA_DIR}`,
      `cat ${DATA_DIR}/xtrabackup_binlog_info`,
    ].join('\n');
    const backup = spawn('docker', ['exec', options.donorContainer, 'mariadb-backup', '--backup', '--stream=xbstream', `--socket=${SERVER_SOCKET}`, '--user=root', '--target-dir=/tmp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const receive = spawn('docker', ['run', '--rm', '-i', '--network', 'none', '-v', `${options.volume}:${DATA_DIR}`, '--entrypoint', 'bash', options.image, '-c', restore], { stdio: ['pipe', 'pipe', 'pipe'] });
    backup.stdout.pipe(receive.stdin);
    const collect = (child: ReturnType<typeof spawn>, stream: 'stdout' | 'stderr') => {
      let text = '';
      child[stream]?.on('data', (d: Buffer) => { text += d; if (text.length > 200_000) text = text.slice(-100_000); });
      return () => text;
    };
    const backupLog = collect(backup, 'stderr');
    const receiveOut = collect(receive, 'stdout');
    const receiveLog = collect(receive, 'stderr');
    const exit = (child: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => { backup.kill(); receive.kill(); }, 30 * 60_000);
    const [backupCode, receiveCode] = await Promise.all([exit(backup), exit(receive)]);
    clearTimeout(timer);
    if (backupCode !== 0 || receiveCode !== 0) {
      throw new Error(`the backup stream failed (backup exit ${backupCode}, restore exit ${receiveCode}):\n${lastLines(backupLog(), 15)}\n${lastLines(receiveLog(), 15)}`);
    }
    // `mariadb-bin.000003	1234	1-1-100,2-2-50`: the donor's position when the copy was consistent.
    return receiveOut().trim().split(/\s+/)[2] ?? '';
  }
}

/** The host access of clusters on local Docker (stateless, shared). */
export const DOCKER_HOST_ACCESS = new DockerHostAccess();
