// A physical copy of a running host into another host's data volume: mariabackup streamed from the
// donor's container (xbstream over a pipe, no shared filesystem) into a throwaway container that
// mounts the volume, where it is prepared. Used to rebuild a returning master and to seed a new host.
import { spawn } from 'child_process';
import { DATA_DIR } from '../render/entrypoint';
import { SERVER_SOCKET } from '../render/server-config';
import { runChecked } from './process';

export interface BackupStreamOptions {
  readonly donorContainer: string;
  readonly volume: string;
  /** An image with mariabackup (the hosts' own). */
  readonly image: string;
  /** Shell lines run in the volume's container after the copy is prepared (markers, ownership). */
  readonly finish: string[];
}

export async function inspectContainer(container: string, format: string): Promise<string> {
  return (await runChecked('docker', ['inspect', '--format', format, container], { timeoutMs: 20_000 })).stdout.trim();
}

/** Replaces the volume's contents with a prepared copy of the donor; returns the donor's GTID position at the copy. */
export async function streamBackup(options: BackupStreamOptions): Promise<string> {
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
    throw new Error(`the backup stream failed (backup exit ${backupCode}, restore exit ${receiveCode}):\n${backupLog().split('\n').slice(-15).join('\n')}\n${receiveLog().split('\n').slice(-15).join('\n')}`);
  }
  // `mariadb-bin.000003	1234	1-1-100,2-2-50`: the donor's position when the copy was consistent.
  return receiveOut().trim().split(/\s+/)[2] ?? '';
}
