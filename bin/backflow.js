#!/usr/bin/env node
// The `backflow` command: runs the TypeScript sources directly through tsx's require hook.
require('tsx/cjs/api').register();
require('../src/cli/main.ts').main(process.argv);
