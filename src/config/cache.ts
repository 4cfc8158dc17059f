import { statSync } from 'node:fs';
import path from 'node:path';
import { listSyncFiles, loadProject, PROJECT_FILE, type Project } from './load';

/**
 * The project as on disk, parsed again only when a config file changed (name, size or mtime), so a
 * worker applies edited YAML to the next batch without re-parsing it for every batch of a run.
 */
const cache = new Map<string, { signature: string; project: Project }>();

function signatureOf(dir: string): string {
  const files = [PROJECT_FILE, ...listSyncFiles(dir)];
  return files
    .map((file) => {
      try {
        const stat = statSync(path.join(dir, file));
        return `${file}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return `${file}:missing`;
      }
    })
    .join('|');
}

/**
 * Loaded leniently (see LoadOptions.strict): what a run needs is backflow.yaml and its own sync file,
 * so an invalid file of another sync is in `invalidSyncs` instead of failing every run.
 */
export function loadProjectCached(dir: string): Project {
  const root = path.resolve(dir);
  const signature = signatureOf(root);
  const hit = cache.get(root);
  if (hit?.signature === signature) return hit.project;
  const project = loadProject(root, { strict: false }); // throws on an invalid backflow.yaml: never cached
  cache.set(root, { signature, project });
  return project;
}
