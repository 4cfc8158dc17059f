import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { markerOf, ownerQueueOf, scheduleIdFor } from './schedules';

/**
 * Whether the sync's Temporal Schedule is paused. A sync without one (its `schedule:` not applied
 * yet) is not paused: nothing fires for it, and staleness says so. Nor is one whose schedule id
 * belongs to another deployment on the namespace (`taskQueue`: this deployment's): that schedule
 * fires the other deployment's runs, not this one's.
 */
export async function schedulePaused(client: Client, sync: string, taskQueue?: string): Promise<boolean> {
  try {
    const description = await client.schedule.getHandle(scheduleIdFor(sync)).describe();
    const marker = markerOf(description.memo);
    if (taskQueue !== undefined && marker !== undefined && ownerQueueOf(marker, description) !== taskQueue) return false;
    return description.state.paused;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
