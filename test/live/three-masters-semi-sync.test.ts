// Three masters with a DR master, an analytics and a delayed backup replica, semi-synchronous replication:
// the drills of test/support/three-master-drills.ts (each mode its own file, so both run at once).
import { LIVE_SLOTS } from '../support/live-slots';
import { threeMasterDrills } from '../support/three-master-drills';

jest.setTimeout(15 * 60_000);

threeMasterDrills('semi-synchronous', LIVE_SLOTS.threeMastersSemiSync);
