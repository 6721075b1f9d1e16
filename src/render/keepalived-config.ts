// keepalived config for a virtual IP shared by the writer endpoint's instances (pure). VRRPv3 over
// unicast, so it works on a Docker bridge; the instance whose HAProxy runs holds the address.

export const KEEPALIVED_CONFIG_PATH = '/etc/keepalived/mariadb-ha.conf';

export interface VirtualIpRender {
  /** The virtual address, e.g. 10.213.0.4. */
  readonly address: string;
  readonly prefixLength: number;
  /** This instance's own address and its peers'. */
  readonly self: string;
  readonly peers: string[];
  /** Higher wins; instances differ. */
  readonly priority: number;
  /** VRRP router id, unique on the network (1..255). */
  readonly routerId: number;
  /** Seconds between advertisements; the backup takes over after about three missed. */
  readonly advertIntervalSeconds: number;
}

export function renderKeepalivedConfig(v: VirtualIpRender): string {
  return `# Rendered by cdktf-mariadb-ha: virtual IP ${v.address} for the writer endpoint. Do not edit.
global_defs {
  vrrp_version 3
  script_user root
  enable_script_security
}

# An instance whose HAProxy is gone gives the address up.
vrrp_script haproxy_alive {
  script "/usr/bin/pgrep -x haproxy"
  interval 1
  fall 2
  rise 2
}

vrrp_instance writer {
  state BACKUP
  interface eth0
  virtual_router_id ${v.routerId}
  priority ${v.priority}
  advert_int ${v.advertIntervalSeconds}
  # Adverts from any address but a peer's are dropped: no other container on the network claims the address
  # (VRRPv3 has no authentication; VRRPv2's is a password sent in clear).
  check_unicast_src
  unicast_src_ip ${v.self}
  unicast_peer {
${v.peers.map((p) => `    ${p}`).join('\n')}
  }
  virtual_ipaddress {
    ${v.address}/${v.prefixLength} dev eth0
  }
  track_script {
    haproxy_alive
  }
}
`;
}
