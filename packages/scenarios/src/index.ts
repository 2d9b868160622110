export * from './model.js';
export * from './schema.js';
export * from './parse.js';
export * from './assert.js';
export * from './write.js';
