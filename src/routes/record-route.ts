// Route 53 failover records: Terraform moves PRIMARY to the target after the switchover's database
// steps; clients follow within the TTL.
import type { WriterRoute } from './writer-route';

export class RecordRoute implements WriterRoute {
  public readonly moveNote: string;
  constructor(recordName: string) {
    this.moveNote = `${recordName} moves to the new writer in this apply, after this step; until clients resolve it they reach a read-only server`;
  }
  public async hold(): Promise<void> {}
  public async release(): Promise<void> {}
  public async closeSessions(): Promise<void> {}
  public async admit(): Promise<void> {}
  public async routeTo(): Promise<void> {}
  public async serving(): Promise<string | undefined> {
    return undefined;
  }
  public async persist(): Promise<void> {}
}
