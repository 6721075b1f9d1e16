// What a container may do beyond an unprivileged process: Docker's default capabilities dropped, the
// few each process needs added back, and no privilege gained through a setuid binary. Named as the
// engine reports them (CAP_...), or every plan would show a change.

/** A server's entrypoint runs as root: it owns the data directory to mysql (CHOWN, FOWNER), writes and reads in it (DAC_OVERRIDE), starts mariadbd as mysql (SETUID, SETGID) and checks on it (KILL). */
export const SERVER_CAPABILITIES = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'];
/** The same set for HAProxy: it starts as root, gives its runtime socket to its user (CHOWN, FOWNER), drops to it (SETUID, SETGID), signals its workers (KILL); the health check reaches the user's socket (DAC_OVERRIDE). */
export const ENDPOINT_CAPABILITIES = SERVER_CAPABILITIES;
/** keepalived moves the virtual address (NET_ADMIN) and sends its adverts and ARP (NET_RAW, NET_BROADCAST). */
export const VIRTUAL_IP_CAPABILITIES = ['CAP_NET_ADMIN', 'CAP_NET_BROADCAST', 'CAP_NET_RAW'];
/** The monitor reaches the endpoint's runtime socket, owned by HAProxy's user (DAC_OVERRIDE). */
export const MONITOR_CAPABILITIES = ['CAP_DAC_OVERRIDE'];

/** Container settings: every capability dropped but `add`, and `no-new-privileges`. */
export function hardened(add: string[]): { capabilities: { drop: string[]; add?: string[] }; securityOpts: string[] } {
  return { capabilities: { drop: ['ALL'], ...(add.length > 0 ? { add } : {}) }, securityOpts: ['no-new-privileges:true'] };
}
