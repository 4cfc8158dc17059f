/**
 * Custom audiences and their members. Meta matches each uploaded row to a person and an audience is a
 * set of people, so the store keeps the rows as uploaded (deduplicated by identity) and treats rows
 * that share a strong identifier — EMAIL, PHONE, MADID or EXTERN_ID, directly or through other rows —
 * as one person. A row with none of Meta's main identifiers (email, phone, mobile advertiser id,
 * first or last name: "How to format a customer list") matches nobody — places, dates, gender,
 * country and the advertiser's EXTERN_ID only narrow a match — so it is received but adds no one.
 * A row with names but no strong identifier is a person of its own. Removing a row removes the
 * person it matches by ANY of its identifiers, with every row that person was uploaded as.
 */
import { memberKey } from './payload';
import type { AudienceMember } from './types';

/** A `usersreplace` session in progress: the member set its batches build, swapped in by the last one. */
export interface ReplaceSession {
  sessionId: string;
  members: Map<string, AudienceMember>;
}

export interface Audience {
  id: string;
  name: string;
  accountId: string;
  members: Map<string, AudienceMember>;
  /** The replace session running on the audience, until its last batch arrives. */
  replacing: ReplaceSession | undefined;
  timeCreated: number;
  timeUpdated: number;
}

export const AD_ACCOUNT_ID = '100000000000001';

/** Identifiers that single out a person on their own. */
const PERSON_KEYS = ['EMAIL', 'PHONE', 'MADID', 'EXTERN_ID'] as const;

/** What a row matches people by: each strong identifier, or (having none) the whole row. */
function identitiesOf(member: AudienceMember): string[] {
  const strong = PERSON_KEYS.flatMap((key) => (member[key] ? [`${key}:${member[key]}`] : []));
  return strong.length > 0 ? strong : [`ROW:${memberKey(member)}`];
}

/** The audience's rows grouped into people: rows sharing an identity, transitively, are one person. */
function peopleOf(audience: Audience): Map<string, string[]> {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    for (let at = key; at !== root; ) {
      const next = parent.get(at) as string;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  const owner = new Map<string, string>();
  for (const [key, member] of audience.members) {
    parent.set(key, key);
    for (const identity of identitiesOf(member)) {
      const other = owner.get(identity);
      if (other === undefined) owner.set(identity, key);
      else parent.set(find(key), find(other));
    }
  }
  const people = new Map<string, string[]>();
  for (const key of audience.members.keys()) {
    const root = find(key);
    people.set(root, [...(people.get(root) ?? []), key]);
  }
  return people;
}

/** Meta's main identifiers: a row with none of them matches nobody. */
const MAIN_KEYS = ['EMAIL', 'PHONE', 'MADID', 'FN', 'LN', 'FI'] as const;

/**
 * Adds rows (the same identifiers uploaded twice are one row, under the latest upload's Limited Data
 * Use options); rows that match nobody add no one.
 */
function addRows(rows: Map<string, AudienceMember>, members: AudienceMember[]): void {
  for (const member of members) {
    if (!MAIN_KEYS.some((key) => member[key])) continue;
    rows.set(memberKey(member), { ...member });
  }
}

export class AudienceStore {
  private readonly audiences = new Map<string, Audience>();
  private nextId = 23850000000000001n;

  constructor(private readonly now: () => number) {}

  create(name: string): Audience {
    const id = String(this.nextId);
    this.nextId += 1n;
    const t = Math.floor(this.now() / 1000);
    const audience: Audience = { id, name, accountId: AD_ACCOUNT_ID, members: new Map(), replacing: undefined, timeCreated: t, timeUpdated: t };
    this.audiences.set(id, audience);
    return audience;
  }

  get(id: string): Audience | undefined {
    return this.audiences.get(id);
  }

  add(audience: Audience, members: AudienceMember[]): void {
    addRows(audience.members, members);
    audience.timeUpdated = Math.floor(this.now() / 1000);
  }

  /**
   * One batch of a replace session: its rows join the session's new member set (the first batch
   * starts one); the last batch swaps that set in for the audience's members, dropping the rest.
   */
  replaceBatch(audience: Audience, sessionId: string, members: AudienceMember[], last: boolean): void {
    const session = audience.replacing?.sessionId === sessionId ? audience.replacing : { sessionId, members: new Map() };
    addRows(session.members, members);
    audience.replacing = last ? undefined : session;
    if (last) {
      audience.members = session.members;
      audience.timeUpdated = Math.floor(this.now() / 1000);
    }
  }

  /** The number of people in the audience (what `approximate_count_*` reports). */
  size(audience: Audience): number {
    return peopleOf(audience).size;
  }

  /** Removes every person a removal row matches by any of its identifiers: all of the rows they were uploaded as. */
  remove(audience: Audience, members: AudienceMember[]): void {
    const wanted = new Set(members.flatMap(identitiesOf));
    for (const rows of peopleOf(audience).values()) {
      const matched = rows.some((key) => identitiesOf(audience.members.get(key) as AudienceMember).some((identity) => wanted.has(identity)));
      if (matched) for (const key of rows) audience.members.delete(key);
    }
    audience.timeUpdated = Math.floor(this.now() / 1000);
  }

  /** Empties every audience and drops unfinished replace sessions (ids are kept so clients' configuration stays valid). */
  clear(): void {
    for (const audience of this.audiences.values()) {
      audience.members.clear();
      audience.replacing = undefined;
    }
  }
}
