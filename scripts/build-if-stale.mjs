#!/usr/bin/env node
// Before `npm test`, the benchmarks, soak and fuzz runs: build only when a source is newer than the last build.
import { buildIfStale } from './build-state.mjs';

process.exitCode = buildIfStale();
