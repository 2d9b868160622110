export * from './engine.js';
export * from './recovery.js';
export * from './cache.js';
export * from './errors.js';
export * from './journal.js';
export * from './lock.js';
export * from './settings.js';
export * from './views.js';
