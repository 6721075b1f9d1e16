// Docker's health check of a long-running container. Each check is an exec: about 0.1 s of CPU
// across dockerd, containerd and runc (measured: ten containers checked every 2 s kept a quarter of
// a 2-core machine busy). Every 5 s halves that against every 2 s, and a deploy waits at most 3 s
// longer per container for its first good check (the provider speaks Docker API 1.41, which has
// no faster interval for the start only).
import { ContainerHealthcheck } from '@cdktf/provider-docker/lib/container';

/** Durations as the provider normalizes them, or every plan would show a change. */
export function containerHealthcheck(test: string[], startPeriod: string, timeout: string): ContainerHealthcheck {
  return { test, interval: '5s', timeout, retries: 3, startPeriod };
}

/**
 * A running container keeps the check it was created with: the provider re-creates a container
 * whose check changed, and a new check in a library upgrade would re-create every host in one
 * apply (a Galera cluster's every node at once). A re-created host gets the new check.
 */
export const KEEP_CREATED_HEALTHCHECK = 'healthcheck';
