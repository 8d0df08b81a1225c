#!/usr/bin/env node
// The `otel-sessions` command: runs the built CLI and exits with its code once stdout is flushed.
import { main } from '../dist/esm/cli/main.js';

const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
