import path from 'node:path';

/** The backflow package's own root (where its package.json is), wherever the user's project lives. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Project-local bin folder the install script builds the Temporal CLI into. */
export const LOCAL_BIN = path.join(PACKAGE_ROOT, '.backflow', 'bin');
export const LOCAL_TEMPORAL = path.join(LOCAL_BIN, 'temporal');
export const INSTALL_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'install-temporal.sh');
