// Host slots: a host's place in a backend's port and address plan, kept by its identity (pure).
import { HostKind, PlannedHost, TopologyPlan } from '../model/plan';
import { REPLICA_SERVER_ID_BASE } from '../model/defaults';

/** Masters take the first slots by server id (1..10), replicas the slots after them by server id (101 and up). */
export const MASTER_SLOTS = 10;
/** The Galera arbitrator's slot: its address is .39, after the ten master slots and the replicas' first twenty. */
export const ARBITRATOR_SLOT = 29;

/**
 * A host's slot: its port is hostPortBase + slot and its address the first host address + slot. It follows the host's
 * server id, which the identity lock keeps stable, so adding or removing a host moves no other;
 * Galera nodes (which share one server id) take the master slots in declaration order.
 */
export function placementSlot(plan: TopologyPlan, host: PlannedHost): number | undefined {
  if (host.kind === HostKind.GALERA_NODE) {
    const index = plan.galera!.nodes.indexOf(host.name);
    return index < MASTER_SLOTS ? index : undefined;
  }
  if (host.kind === HostKind.MASTER) return host.serverId >= 1 && host.serverId <= MASTER_SLOTS ? host.serverId - 1 : undefined;
  return host.serverId > REPLICA_SERVER_ID_BASE ? MASTER_SLOTS + host.serverId - REPLICA_SERVER_ID_BASE - 1 : undefined;
}

