// Files on a host, through its host access: read, written whole (through a temporary file, so a
// reader never sees half of one), tested, removed. Content travels on stdin, never in arguments.
import { execChecked, HostAccess } from '../backends/host-access';
import { shellQuote } from '../render/shell';

export async function readHostFile(access: HostAccess, host: string, path: string): Promise<string> {
  return (await execChecked(access, host, ['cat', path], { timeoutMs: 20_000 })).stdout;
}

export interface WriteFileOptions {
  /** `umask 077` and this owner, for a secret. */
  readonly secretOwner?: string;
  /** Keep the mode of the file it replaces. */
  readonly keepMode?: boolean;
}

export async function writeHostFile(access: HostAccess, host: string, path: string, content: string, options: WriteFileOptions = {}): Promise<void> {
  const tmp = shellQuote(`${path}.tmp`);
  const steps = [
    ...(options.secretOwner ? ['umask 077'] : []),
    `cat > ${tmp}`,
    ...(options.secretOwner ? [`chown ${shellQuote(options.secretOwner)} ${tmp}`] : []),
    ...(options.keepMode ? [`chmod --reference=${shellQuote(path)} ${tmp}`] : []),
    `mv ${tmp} ${shellQuote(path)}`,
  ];
  await execChecked(access, host, ['sh', '-c', steps.join(' && ')], { input: content, timeoutMs: 20_000 });
}

export async function hostFileExists(access: HostAccess, host: string, path: string): Promise<boolean> {
  return (await access.exec(host, ['test', '-f', path], { timeoutMs: 20_000 })).code === 0;
}

export async function removeHostFiles(access: HostAccess, host: string, paths: string[]): Promise<void> {
  await execChecked(access, host, ['rm', '-f', ...paths], { timeoutMs: 20_000 });
}

/** Moves a file over another on the host. */
export async function moveHostFile(access: HostAccess, host: string, from: string, to: string): Promise<void> {
  await execChecked(access, host, ['mv', from, to], { timeoutMs: 20_000 });
}
