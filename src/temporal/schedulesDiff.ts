/**
 * What `backflow schedules apply` must do to make Temporal match the config: a pure decision,
 * unit-tested on its own. Only schedules backflow created (its memo marker) for this deployment
 * (its task queue) are ever updated or deleted; one with a backflow id but no marker, or another
 * task queue's, is reported as a conflict and left alone.
 */
export interface DesiredSchedule {
  scheduleId: string;
  /** Hash of everything the schedule is built from; a different hash means "update". */
  hash: string;
}

export interface ExistingSchedule {
  scheduleId: string;
  /** Created by backflow (memo marker present). */
  managed: boolean;
  /** The task queue of the deployment that created it (set when managed). */
  taskQueue?: string;
  /** The hash stored when backflow last wrote it. */
  hash?: string;
}

export interface SchedulePlan {
  create: string[];
  update: string[];
  delete: string[];
  unchanged: string[];
  /** Ids backflow wants but someone else's schedule already holds. */
  conflicts: string[];
  /** Ids backflow wants but another deployment's (another task queue's) schedule holds. */
  heldByOtherTaskQueue: Array<{ scheduleId: string; taskQueue: string }>;
}

export function planSchedules(desired: readonly DesiredSchedule[], existing: readonly ExistingSchedule[], taskQueue: string): SchedulePlan {
  const plan: SchedulePlan = { create: [], update: [], delete: [], unchanged: [], conflicts: [], heldByOtherTaskQueue: [] };
  const byId = new Map(existing.map((schedule) => [schedule.scheduleId, schedule]));
  // Deployments on one namespace tell their schedules apart by task queue, never by id alone.
  const ours = (schedule: ExistingSchedule) => schedule.managed && schedule.taskQueue === taskQueue;
  const wanted = new Set<string>();
  for (const want of desired) {
    wanted.add(want.scheduleId);
    const have = byId.get(want.scheduleId);
    if (!have) plan.create.push(want.scheduleId);
    else if (!have.managed) plan.conflicts.push(want.scheduleId);
    else if (!ours(have)) plan.heldByOtherTaskQueue.push({ scheduleId: want.scheduleId, taskQueue: have.taskQueue ?? '(unknown)' });
    else if (have.hash !== want.hash) plan.update.push(want.scheduleId);
    else plan.unchanged.push(want.scheduleId);
  }
  for (const have of existing) {
    if (ours(have) && !wanted.has(have.scheduleId)) plan.delete.push(have.scheduleId);
  }
  for (const list of [plan.create, plan.update, plan.delete, plan.unchanged, plan.conflicts]) list.sort();
  plan.heldByOtherTaskQueue.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  return plan;
}

/** True when applying the plan would change nothing. */
export function isNoop(plan: SchedulePlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}
