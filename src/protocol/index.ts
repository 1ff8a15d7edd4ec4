export * from './duration.js';
export * from './openai.js';
export * from './sse.js';
export * from './anthropic.js';
