import { rmSync } from 'node:fs';

/** Removes the run's scratch directory (see scratchDirSetup), after every test file has closed its servers. */
export default function scratchDirTeardown(): void {
  const dir = process.env.BACKFLOW_TEST_SCRATCH_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
