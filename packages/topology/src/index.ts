export * from './model.js';
export * from './state.js';
export * from './plan-types.js';
export * from './naming.js';
