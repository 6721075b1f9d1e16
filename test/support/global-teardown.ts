// Stops the Docker engine only when the live tests started it.
import { execFileSync } from 'child_process';
import { existsSync, unlinkSync } from 'fs';
import { join } from 'path';
import { ENGINE_STARTED_MARKER } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(ENGINE_STARTED_MARKER)) return;
  unlinkSync(ENGINE_STARTED_MARKER);
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'docker-engine.sh'), 'stop'], { stdio: 'inherit', timeout: 60_000 });
}
