import type { ConventionFactory } from './convention.js';
import { createNativeConvention } from './native/index.js';

/**
 * The conventions the hub speaks, in the order they are asked to claim a topic. Native home topics come last:
 * they are the fallback for any four-level topic the others do not recognise.
 */
export const conventionFactories: ConventionFactory[] = [createNativeConvention];
