import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { scheduleIdFor } from './schedules';

/**
 * Whether the sync's Temporal Schedule is paused. A sync without one (its `schedule:` not applied
 * yet) is not paused: nothing fires for it, and staleness says so.
 */
export async function schedulePaused(client: Client, sync: string): Promise<boolean> {
  try {
    return (await client.schedule.getHandle(scheduleIdFor(sync)).describe()).state.paused;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
