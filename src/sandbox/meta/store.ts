/** Custom audiences and their members (the set of matched rows, keyed by identity). */
import { memberKey } from './payload';
import type { AudienceMember } from './types';

export interface Audience {
  id: string;
  name: string;
  accountId: string;
  members: Map<string, AudienceMember>;
  timeCreated: number;
  timeUpdated: number;
}

export const AD_ACCOUNT_ID = '100000000000001';

export class AudienceStore {
  private readonly audiences = new Map<string, Audience>();
  private nextId = 23850000000000001n;

  constructor(private readonly now: () => number) {}

  create(name: string): Audience {
    const id = String(this.nextId);
    this.nextId += 1n;
    const t = Math.floor(this.now() / 1000);
    const audience: Audience = { id, name, accountId: AD_ACCOUNT_ID, members: new Map(), timeCreated: t, timeUpdated: t };
    this.audiences.set(id, audience);
    return audience;
  }

  get(id: string): Audience | undefined {
    return this.audiences.get(id);
  }

  add(audience: Audience, members: AudienceMember[]): void {
    for (const member of members) {
      const key = memberKey(member);
      if (!audience.members.has(key)) audience.members.set(key, { ...member });
    }
    audience.timeUpdated = Math.floor(this.now() / 1000);
  }

  /** Removes every member whose identifiers include all of a removal row's (removing by EMAIL alone finds EMAIL+FN members). */
  remove(audience: Audience, members: AudienceMember[]): void {
    for (const removal of members) {
      const pairs = Object.entries(removal);
      for (const [key, member] of audience.members) {
        if (pairs.every(([k, v]) => member[k] === v)) audience.members.delete(key);
      }
    }
    audience.timeUpdated = Math.floor(this.now() / 1000);
  }

  /** Empties every audience (ids are kept so clients' configuration stays valid). */
  clear(): void {
    for (const audience of this.audiences.values()) audience.members.clear();
  }
}
