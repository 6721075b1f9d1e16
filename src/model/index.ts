export * from './topology';
export * from './plan';
export * from './problems';
export * from './planner';
export { planAutoIncrement, planKeyRanges, DEFAULT_DATABASE_NAME } from './defaults';
export * from './candidates';
export * from './galera-topology';
export * from './galera-planner';
