// The simulator's library API, for tests, benchmarks and the CLI (main.ts).
export { startSimulation, type Simulation, type SimulationStats, type ConnectionInfo } from './simulation.js';
export type { SimulationOptions } from './options.js';
export type { Credentials, CredentialSource } from './credentials.js';
export { resolveCredentials } from './credentials.js';
export { layoutDevices, homeTopic, FLOORS } from './layout.js';
export { KIND_NAMES, CONVENTION_NAMES, type KindName, type ConventionName, type SimDevice } from './types.js';
